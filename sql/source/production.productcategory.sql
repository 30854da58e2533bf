-- Top-level product categories (Bikes, Components, Clothing, Accessories).
create table if not exists production.productcategory (
    productcategoryid integer not null primary key,
    name varchar(50) not null,
    rowguid uuid not null default gen_random_uuid(),
    modifieddate timestamp not null default now()
);
create index if not exists productcategory_modifieddate on production.productcategory (modifieddate);
