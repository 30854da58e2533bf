-- Resellers: stores that buy from the company.
create table if not exists sales.store (
    businessentityid integer not null primary key,
    name varchar(50) not null,
    salespersonid integer,
    demographics xml,
    rowguid uuid not null default gen_random_uuid(),
    modifieddate timestamp not null default now()
);
create index if not exists store_modifieddate on sales.store (modifieddate);
