from __future__ import annotations

import pytest

from adventure_elt.catalog import TABLES, get_table, select_tables
from adventure_elt.errors import ConfigError
from adventure_elt.oltp.schema import ddl_path


def test_twelve_tables_with_keys_and_cursor() -> None:
    assert len(TABLES) == 12
    assert {t.qualified_name for t in TABLES} == {
        "person.address",
        "person.stateprovince",
        "person.countryregion",
        "sales.creditcard",
        "sales.customer",
        "sales.store",
        "person.person",
        "production.product",
        "production.productsubcategory",
        "production.productcategory",
        "sales.salesorderheader",
        "sales.salesorderdetail",
    }
    assert all(t.cursor == "modifieddate" for t in TABLES)
    assert get_table("sales.salesorderdetail").primary_key == (
        "salesorderid",
        "salesorderdetailid",
    )


def test_load_order_puts_referenced_tables_first() -> None:
    seen: set[str] = set()
    for table in TABLES:
        assert set(table.references) <= seen, table.qualified_name
        seen.add(table.qualified_name)


def test_every_table_has_ddl_with_its_key_and_a_cursor_index() -> None:
    for table in TABLES:
        ddl = ddl_path(table).read_text()
        assert f"create table if not exists {table.qualified_name}" in ddl
        assert f"on {table.qualified_name} (modifieddate)" in ddl
        for column in table.primary_key:
            assert column in ddl


def test_select_tables_accepts_all_spellings_and_rejects_unknown() -> None:
    chosen = select_tables(["sales_customer", "countryregion", " person.address "])
    assert [t.name for t in chosen] == ["countryregion", "address", "customer"]
    with pytest.raises(ConfigError, match="unknown table 'nope'"):
        select_tables("nope")
