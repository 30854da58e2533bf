"""`DuckDBWarehouse.describe`, read from DuckDB's catalog functions: kind, columns in table order
and DuckDB's type names, for tables and views; nothing for what does not exist."""

from __future__ import annotations

from pathlib import Path

from adventure_elt.warehouse.duckdb import DuckDBWarehouse


def test_describe_names_tables_views_and_their_columns_in_order(tmp_path: Path) -> None:
    with DuckDBWarehouse(tmp_path / "warehouse.duckdb") as wh:
        wh.execute("create schema raw; create schema reports")
        wh.execute(
            "create table raw.orders (total decimal(19, 4), id bigint,"
            " placed timestamp with time zone, tags varchar[])"
        )
        wh.execute("create view raw.recent as select id, placed from raw.orders")
        wh.execute("create table reports.orders (other integer)")  # same name, other layer

        assert wh.describe("raw", "orders") == (
            "table",
            {
                "total": "DECIMAL(19,4)",
                "id": "BIGINT",
                "placed": "TIMESTAMP WITH TIME ZONE",
                "tags": "VARCHAR[]",
            },
        )
        assert list(wh.column_types("raw", "orders")) == ["total", "id", "placed", "tags"]
        assert wh.describe("raw", "recent") == (
            "view",
            {"id": "BIGINT", "placed": "TIMESTAMP WITH TIME ZONE"},
        )
        assert wh.describe("reports", "orders") == ("table", {"other": "INTEGER"})
        assert wh.describe("raw", "missing") is None
        assert wh.describe("missing", "orders") is None
        assert wh.table_kind("raw", "recent") == "view"
        assert wh.column_types("raw", "missing") == {}
