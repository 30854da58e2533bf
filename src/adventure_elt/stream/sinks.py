"""The event sink of the configured warehouse, chosen from a registry by the adapter's kind.

A micro-batch is written the way the engine takes small writes best: a short transaction on a
DuckDB file (`DuckDBSink`), streaming inserts on BigQuery (`BigQuerySink`, where a load job or
DML statement per batch would exhaust quotas). A third engine registers its sink here.
"""

from __future__ import annotations

from collections.abc import Callable

from adventure_elt.settings import Settings
from adventure_elt.stream.bigquery_sink import BigQuerySink
from adventure_elt.stream.sink import DuckDBSink, EventSink
from adventure_elt.warehouse import engine_of

# adapter kind → how to open its sink (settings, DuckDB's lock timeout)
SINKS: dict[str, Callable[[Settings, float], EventSink]] = {
    "duckdb": lambda settings, lock_timeout: DuckDBSink(settings.duckdb_path, lock_timeout),
    "bigquery": lambda settings, _: BigQuerySink(settings),
}


def open_sink(settings: Settings, lock_timeout: float = 60.0) -> EventSink:
    """The sink for the configured warehouse.

    Args:
        settings: which warehouse.
        lock_timeout: how long to wait for a file another process holds (DuckDB).

    Returns:
        An EventSink with both raw tables created.
    """
    return SINKS[engine_of(settings).kind](settings, lock_timeout)
