"""The 12 AdventureWorks source tables: the single source of truth for every other part.

Replication, the Airbyte config, the CSV loader, the generator and reconciliation all read the
table list from here. `TABLES` is in load order: every table comes after the tables its foreign
keys point to.

>>> get_table("sales.salesorderdetail").primary_key
('salesorderid', 'salesorderdetailid')
>>> get_table("sales.salesorderdetail").raw_name
'sales_salesorderdetail'
"""

from __future__ import annotations

from dataclasses import dataclass

from adventure_elt.errors import ConfigError

# The raw layer's soft-delete flag (`sync --detect-deletes` with delete mode `soft` sets it);
# staging models keep only rows where it is not true, NULL meaning "not deleted".
DELETED_COLUMN = "_is_deleted"


@dataclass(frozen=True)
class SourceTable:
    """One replicated table.

    Args:
        schema: PostgreSQL schema (`person`, `sales`, `production`).
        name: table name inside that schema.
        primary_key: key columns, in key order.
        references: qualified names of the tables its foreign keys point to.
        cursor: the column incremental replication reads from.
    """

    schema: str
    name: str
    primary_key: tuple[str, ...]
    references: tuple[str, ...] = ()
    cursor: str = "modifieddate"

    @property
    def qualified_name(self) -> str:
        """`schema.name`, as PostgreSQL and the CLI spell it."""
        return f"{self.schema}.{self.name}"

    @property
    def raw_name(self) -> str:
        """The table's name in the warehouse's raw layer (`person_address`)."""
        return f"{self.schema}_{self.name}"


TABLES: tuple[SourceTable, ...] = (
    SourceTable("person", "countryregion", ("countryregioncode",)),
    SourceTable("person", "stateprovince", ("stateprovinceid",), ("person.countryregion",)),
    SourceTable("person", "address", ("addressid",), ("person.stateprovince",)),
    SourceTable("person", "person", ("businessentityid",)),
    SourceTable("sales", "store", ("businessentityid",)),
    SourceTable("sales", "customer", ("customerid",), ("person.person", "sales.store")),
    SourceTable("sales", "creditcard", ("creditcardid",)),
    SourceTable("production", "productcategory", ("productcategoryid",)),
    SourceTable(
        "production",
        "productsubcategory",
        ("productsubcategoryid",),
        ("production.productcategory",),
    ),
    SourceTable("production", "product", ("productid",), ("production.productsubcategory",)),
    SourceTable(
        "sales",
        "salesorderheader",
        ("salesorderid",),
        ("sales.customer", "person.address", "sales.creditcard"),
    ),
    SourceTable(
        "sales",
        "salesorderdetail",
        ("salesorderid", "salesorderdetailid"),
        ("sales.salesorderheader", "production.product"),
    ),
)

SCHEMAS: tuple[str, ...] = ("person", "production", "sales")


def get_table(name: str) -> SourceTable:
    """Look a table up by `schema.table`, by raw name (`sales_customer`) or by bare table name.

    Raises:
        ConfigError: no such table; the message lists the valid names.
    """
    wanted = name.strip().lower()
    for table in TABLES:
        if wanted in (table.qualified_name, table.raw_name, table.name):
            return table
    known = ", ".join(t.qualified_name for t in TABLES)
    raise ConfigError(f"unknown table {name!r}; choose from: {known}")


def select_tables(names: str | list[str] | None) -> tuple[SourceTable, ...]:
    """Tables named in a comma-separated list (None: all), always in load order.

    An empty list is refused rather than read as "all": `--tables "$TABLES"` with an empty
    variable must not reload every table.

    >>> [t.name for t in select_tables("salesorderheader,person.address")]
    ['address', 'salesorderheader']

    Raises:
        ConfigError: an unknown name, or no name at all.
    """
    if names is None:
        return TABLES
    parts = names.split(",") if isinstance(names, str) else names
    chosen = {get_table(p) for p in parts if p.strip()}
    if not chosen:
        raise ConfigError(
            "--tables names no table; give e.g. sales.customer,person.address,"
            " or leave the option out for all 12"
        )
    return tuple(t for t in TABLES if t in chosen)
