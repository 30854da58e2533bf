"""The two raw tables of the web event stream, and creating them where they are missing.

`raw.web_events` holds one row per accepted event (the event's own field names, as every raw
table keeps its source's names) plus `_ingested_at` and `_batch_id`; `raw.web_events_rejected`
is the dead-letter table: every refused line with its reason and (truncated) text. Both exist
empty on a warehouse that never streamed, so the web models always build.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    from adventure_elt.warehouse import Warehouse

EVENTS_TABLE = "web_events"
REJECTED_TABLE = "web_events_rejected"
RAW_LAYER = "raw"

# column -> (Arrow type, DuckDB type, BigQuery type)
EVENT_COLUMNS: dict[str, tuple[pa.DataType, str, str]] = {
    "event_id": (pa.string(), "varchar", "string"),
    "timestamp": (pa.timestamp("us", tz="UTC"), "timestamp with time zone", "timestamp"),
    "session_id": (pa.string(), "varchar", "string"),
    "user_id": (pa.string(), "varchar", "string"),
    "page_url": (pa.string(), "varchar", "string"),
    "referrer_url": (pa.string(), "varchar", "string"),
    "ip_address": (pa.string(), "varchar", "string"),
    "user_agent": (pa.string(), "varchar", "string"),
    "device_type": (pa.string(), "varchar", "string"),
    "duration": (pa.float64(), "double", "float64"),
    "country": (pa.string(), "varchar", "string"),
    "order_value": (pa.float64(), "double", "float64"),
    "_ingested_at": (pa.timestamp("us", tz="UTC"), "timestamp with time zone", "timestamp"),
    "_batch_id": (pa.string(), "varchar", "string"),
}
REJECTED_COLUMNS: dict[str, tuple[pa.DataType, str, str]] = {
    "rejected_at": (pa.timestamp("us", tz="UTC"), "timestamp with time zone", "timestamp"),
    "source": (pa.string(), "varchar", "string"),
    "line_number": (pa.int64(), "bigint", "int64"),
    "line_bytes": (pa.int64(), "bigint", "int64"),
    "reason": (pa.string(), "varchar", "string"),
    "raw_text": (pa.string(), "varchar", "string"),
    "_batch_id": (pa.string(), "varchar", "string"),
}
EVENTS_SCHEMA = pa.schema([(name, t[0]) for name, t in EVENT_COLUMNS.items()])
REJECTED_SCHEMA = pa.schema([(name, t[0]) for name, t in REJECTED_COLUMNS.items()])


def ensure_event_tables(warehouse: Warehouse) -> None:
    """Create `raw.web_events` and `raw.web_events_rejected` if they do not exist (idempotent).

    Args:
        warehouse: an open, writable warehouse (DuckDB or BigQuery: types are per engine).
    """
    engine = 1 if warehouse.kind == "duckdb" else 2
    warehouse.create_layer(RAW_LAYER)
    existing = warehouse.list_tables(RAW_LAYER)
    for table, columns in ((EVENTS_TABLE, EVENT_COLUMNS), (REJECTED_TABLE, REJECTED_COLUMNS)):
        if table in existing:
            continue
        quote = '"' if engine == 1 else "`"
        body = ", ".join(f"{quote}{name}{quote} {types[engine]}" for name, types in columns.items())
        warehouse.execute(
            f"create table if not exists {warehouse.relation(RAW_LAYER, table)} ({body})"
        )
