-- Product subcategories, each within one category.
create table if not exists production.productsubcategory (
    productsubcategoryid integer not null primary key,
    productcategoryid integer not null references production.productcategory (productcategoryid),
    name varchar(50) not null,
    rowguid uuid not null default gen_random_uuid(),
    modifieddate timestamp not null default now()
);
create index if not exists productsubcategory_modifieddate
    on production.productsubcategory (modifieddate);
