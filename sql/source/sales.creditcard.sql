-- Customers' credit cards.
create table if not exists sales.creditcard (
    creditcardid integer not null primary key,
    cardtype varchar(50) not null,
    cardnumber varchar(25) not null,
    expmonth smallint not null,
    expyear smallint not null,
    modifieddate timestamp not null default now()
);
create index if not exists creditcard_modifieddate on sales.creditcard (modifieddate);
