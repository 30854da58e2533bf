"""The two raw tables of the web event stream, and creating them where they are missing.

`raw.web_events` holds one row per accepted event (the event's own field names, as every raw
table keeps its source's names) plus `_ingested_at` and `_batch_id`; `raw.web_events_rejected`
is the dead-letter table: every refused line with its reason and (truncated) text. Both exist
empty on a warehouse that never streamed, so the web models always build.

On BigQuery `raw.web_events` is partitioned by the event's day and clustered by `event_id`:
the ingester's duplicate lookup names the batch's time window and its ids, and the live views
read the last minutes or hours, so each reads the few partitions (and blocks) it needs instead
of the whole table. A table created before this layout keeps its own (see the README).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from adventure_elt.warehouse import Layout
from adventure_elt.warehouse.base import RAW_LAYER

if TYPE_CHECKING:
    from adventure_elt.warehouse import Warehouse

EVENTS_TABLE = "web_events"
REJECTED_TABLE = "web_events_rejected"

# column -> Arrow type (each engine's adapter picks its own column type for it)
EVENT_COLUMNS: dict[str, pa.DataType] = {
    "event_id": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "session_id": pa.string(),
    "user_id": pa.string(),
    "page_url": pa.string(),
    "referrer_url": pa.string(),
    "ip_address": pa.string(),
    "user_agent": pa.string(),
    "device_type": pa.string(),
    "duration": pa.float64(),
    "country": pa.string(),
    "order_value": pa.float64(),
    "_ingested_at": pa.timestamp("us", tz="UTC"),
    "_batch_id": pa.string(),
}
REJECTED_COLUMNS: dict[str, pa.DataType] = {
    "rejected_at": pa.timestamp("us", tz="UTC"),
    "source": pa.string(),
    "line_number": pa.int64(),
    "line_bytes": pa.int64(),
    "reason": pa.string(),
    "raw_text": pa.string(),
    "_batch_id": pa.string(),
}
EVENTS_SCHEMA = pa.schema(list(EVENT_COLUMNS.items()))
REJECTED_SCHEMA = pa.schema(list(REJECTED_COLUMNS.items()))
EVENTS_LAYOUT = Layout(partition_field="timestamp", granularity="DAY", cluster_by=("event_id",))


def ensure_event_tables(warehouse: Warehouse) -> None:
    """Create `raw.web_events` and `raw.web_events_rejected` if they do not exist (idempotent).

    Args:
        warehouse: an open, writable warehouse.
    """
    warehouse.ensure_table(RAW_LAYER, EVENTS_TABLE, EVENTS_SCHEMA, EVENTS_LAYOUT)
    warehouse.ensure_table(RAW_LAYER, REJECTED_TABLE, REJECTED_SCHEMA)
