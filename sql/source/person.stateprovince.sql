-- States, provinces and other first-level subdivisions of a country.
create table if not exists person.stateprovince (
    stateprovinceid integer not null primary key,
    stateprovincecode char(3) not null,
    countryregioncode varchar(3) not null references person.countryregion (countryregioncode),
    isonlystateprovinceflag boolean not null default true,
    name varchar(50) not null,
    territoryid integer not null,
    rowguid uuid not null default gen_random_uuid(),
    modifieddate timestamp not null default now()
);
create index if not exists stateprovince_modifieddate on person.stateprovince (modifieddate);
