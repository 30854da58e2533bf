"""Read-only queries of a test's warehouse: the DuckDB file directly, or any engine through its
adapter (`engine_raw_counts`)."""

from __future__ import annotations

from typing import Any

import duckdb

from adventure_elt.catalog import TABLES
from adventure_elt.settings import Settings
from adventure_elt.warehouse import open_warehouse


def raw_sql(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    """The rows of `sql` run on the warehouse file, opened read-only."""
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def raw_counts(settings: Settings) -> dict[str, int]:
    """Rows in each of the 12 raw tables, keyed by the source table's `schema.table`."""
    return {
        t.qualified_name: raw_sql(settings, f"select count(*) from raw.{t.raw_name}")[0][0]
        for t in TABLES
    }


def engine_raw_counts(settings: Settings) -> dict[str, int]:
    """`raw_counts` on the engine `settings` names (DuckDB or BigQuery), through its adapter."""
    with open_warehouse(settings) as wh:
        return {
            t.qualified_name: int(
                wh.fetch_all(f"select count(*) from {wh.relation('raw', t.raw_name)}")[0][0]
            )
            for t in TABLES
        }
