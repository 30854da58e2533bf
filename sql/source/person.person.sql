-- People: individual customers, store contacts and employees.
create table if not exists person.person (
    businessentityid integer not null primary key,
    persontype char(2) not null,
    namestyle boolean not null default false,
    title varchar(8),
    firstname varchar(50) not null,
    middlename varchar(50),
    lastname varchar(50) not null,
    suffix varchar(10),
    emailpromotion integer not null default 0,
    additionalcontactinfo xml,
    demographics xml,
    rowguid uuid not null default gen_random_uuid(),
    modifieddate timestamp not null default now()
);
create index if not exists person_modifieddate on person.person (modifieddate);
