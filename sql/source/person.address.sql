-- Street addresses of customers, used as bill-to and ship-to addresses of orders.
create table if not exists person.address (
    addressid integer not null primary key,
    addressline1 varchar(60) not null,
    addressline2 varchar(60),
    city varchar(30) not null,
    stateprovinceid integer not null references person.stateprovince (stateprovinceid),
    postalcode varchar(15) not null,
    spatiallocation bytea,
    rowguid uuid not null default gen_random_uuid(),
    modifieddate timestamp not null default now()
);
create index if not exists address_modifieddate on person.address (modifieddate);
