-- Customers: an individual (personid), a store (storeid), or a store contact (both).
create table if not exists sales.customer (
    customerid integer not null primary key,
    personid integer references person.person (businessentityid),
    storeid integer references sales.store (businessentityid),
    territoryid integer,
    rowguid uuid not null default gen_random_uuid(),
    modifieddate timestamp not null default now()
);
create index if not exists customer_modifieddate on sales.customer (modifieddate);
