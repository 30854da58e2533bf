-- Countries and regions (ISO codes).
create table if not exists person.countryregion (
    countryregioncode varchar(3) not null primary key,
    name varchar(50) not null,
    modifieddate timestamp not null default now()
);
create index if not exists countryregion_modifieddate on person.countryregion (modifieddate);
