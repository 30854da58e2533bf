"""The only package that knows warehouse clients: run SQL, fetch Arrow, list tables.

One adapter class per engine (`duckdb.py`, `bigquery.py`) behind the `Warehouse` interface of
`base.py`, chosen once by `open_warehouse` from the registry below.
"""

from __future__ import annotations

from adventure_elt.errors import ConfigError
from adventure_elt.settings import Settings
from adventure_elt.warehouse.base import (
    LAYERS,
    PLAIN,
    RAW_LAYER,
    DryRun,
    Layout,
    MergeCounts,
    Warehouse,
    decimal_scale,
    quote_identifier,
)
from adventure_elt.warehouse.bigquery import BigQueryWarehouse, bigquery_type
from adventure_elt.warehouse.duckdb import (
    DuckDBWarehouse,
    connect_duckdb,
    is_duckdb_file,
    wait_for_duckdb_lock,
)

ENGINES: dict[str, type[Warehouse]] = {
    engine.kind: engine for engine in (DuckDBWarehouse, BigQueryWarehouse)
}


def engine_of(settings: Settings) -> type[Warehouse]:
    """The adapter class of the configured warehouse (its capabilities, before opening it)."""
    engine = ENGINES.get(settings.warehouse)
    if engine is None:
        raise ConfigError(
            f"unknown warehouse {settings.warehouse!r}; use one of {', '.join(sorted(ENGINES))}"
        )
    return engine


def open_warehouse(settings: Settings, *, read_only: bool = False) -> Warehouse:
    """Open the configured warehouse."""
    return engine_of(settings).open(settings, read_only=read_only)


__all__ = [
    "ENGINES",
    "LAYERS",
    "PLAIN",
    "RAW_LAYER",
    "BigQueryWarehouse",
    "DryRun",
    "DuckDBWarehouse",
    "Layout",
    "MergeCounts",
    "Warehouse",
    "bigquery_type",
    "connect_duckdb",
    "decimal_scale",
    "engine_of",
    "is_duckdb_file",
    "open_warehouse",
    "quote_identifier",
    "wait_for_duckdb_lock",
]
