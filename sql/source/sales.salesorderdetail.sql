-- Order lines: one row per product on an order.
create table if not exists sales.salesorderdetail (
    salesorderid integer not null references sales.salesorderheader (salesorderid)
        on delete cascade,
    salesorderdetailid integer not null,
    carriertrackingnumber varchar(25),
    orderqty smallint not null,
    productid integer not null references production.product (productid),
    specialofferid integer not null,
    unitprice numeric not null,
    unitpricediscount numeric not null default 0,
    rowguid uuid not null default gen_random_uuid(),
    modifieddate timestamp not null default now(),
    primary key (salesorderid, salesorderdetailid)
);
create index if not exists salesorderdetail_modifieddate on sales.salesorderdetail (modifieddate);
