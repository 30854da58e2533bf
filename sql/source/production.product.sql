-- Products sold or used to build products sold.
create table if not exists production.product (
    productid integer not null primary key,
    name varchar(50) not null,
    productnumber varchar(25) not null,
    makeflag boolean not null default true,
    finishedgoodsflag boolean not null default true,
    color varchar(15),
    safetystocklevel smallint not null,
    reorderpoint smallint not null,
    standardcost numeric not null,
    listprice numeric not null,
    size varchar(5),
    sizeunitmeasurecode char(3),
    weightunitmeasurecode char(3),
    weight decimal(8, 2),
    daystomanufacture integer not null,
    productline char(2),
    class char(2),
    style char(2),
    productsubcategoryid integer
        references production.productsubcategory (productsubcategoryid),
    productmodelid integer,
    sellstartdate timestamp not null,
    sellenddate timestamp,
    discontinueddate timestamp,
    rowguid uuid not null default gen_random_uuid(),
    modifieddate timestamp not null default now()
);
create index if not exists product_modifieddate on production.product (modifieddate);
