-- Sales orders: one row per order, with its status and money totals.
create table if not exists sales.salesorderheader (
    salesorderid integer not null primary key,
    revisionnumber smallint not null default 0,
    orderdate timestamp not null default now(),
    duedate timestamp not null,
    shipdate timestamp,
    status smallint not null default 1,
    onlineorderflag boolean not null default true,
    purchaseordernumber varchar(25),
    accountnumber varchar(15),
    customerid integer not null references sales.customer (customerid),
    salespersonid integer,
    territoryid integer,
    billtoaddressid integer not null references person.address (addressid),
    shiptoaddressid integer not null references person.address (addressid),
    shipmethodid integer not null,
    creditcardid integer references sales.creditcard (creditcardid),
    creditcardapprovalcode varchar(15),
    currencyrateid integer,
    subtotal numeric not null default 0,
    taxamt numeric not null default 0,
    freight numeric not null default 0,
    totaldue numeric,
    comment varchar(128),
    rowguid uuid not null default gen_random_uuid(),
    modifieddate timestamp not null default now()
);
create index if not exists salesorderheader_modifieddate on sales.salesorderheader (modifieddate);
