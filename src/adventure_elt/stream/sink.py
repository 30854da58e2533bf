"""Where micro-batches of events go: a small interface, one class per engine.

DuckDB allows one writing process or many reading ones on a file. The DuckDB sink therefore
holds the file only for one short transaction per micro-batch (open, de-duplicate and insert,
commit, close); readers (`report`, `query`, the dashboard) open it read-only and retry briefly
when a batch is being written (see `DuckDBWarehouse`). The BigQuery sink (`bigquery_sink.py`)
streams with the event id as insert id, after looking up which ids are stored already;
`sinks.open_sink` picks the sink of the configured engine.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import pyarrow as pa

from adventure_elt.errors import WarehouseError
from adventure_elt.stream.tables import EVENTS_TABLE, REJECTED_TABLE, ensure_event_tables
from adventure_elt.warehouse import DuckDBWarehouse
from adventure_elt.warehouse.base import RAW_LAYER


class EventSink(ABC):
    """Stores micro-batches of checked events and of rejected lines.

    `max_wait` is how long, by default, a batch's first line waits before the batch is written:
    what one write costs decides it (a short DuckDB transaction; a billed lookup on BigQuery).
    """

    max_wait: float = 0.5

    @abstractmethod
    def write_batch(self, events: pa.Table, rejected: pa.Table) -> int:
        """Store the events whose id is not stored yet, and every rejected line.

        Args:
            events: rows in `EVENTS_SCHEMA`, unique by event_id within the batch.
            rejected: rows in `REJECTED_SCHEMA`.

        Returns:
            How many events were new (and so stored).
        """

    @abstractmethod
    def close(self) -> None:
        """Release what the sink holds between batches."""


class DuckDBSink(EventSink):
    """Short write transactions on a DuckDB file, so readers can get in between batches.

    Args:
        path: the warehouse file.
        lock_timeout: how long to keep retrying while another process holds the file.
    """

    def __init__(self, path: Path, lock_timeout: float = 60.0) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        with self._open() as warehouse:
            ensure_event_tables(warehouse)

    def write_batch(self, events: pa.Table, rejected: pa.Table) -> int:
        # One transaction: the anti-join and the insert see the same table, so two ingesters
        # replaying the same file cannot both load an event.
        with self._open() as warehouse:
            target = warehouse.relation(RAW_LAYER, EVENTS_TABLE)
            rejects = warehouse.relation(RAW_LAYER, REJECTED_TABLE)
            with (
                warehouse.stage(events, RAW_LAYER, "batch_events") as batch,
                warehouse.stage(rejected, RAW_LAYER, "batch_rejected") as batch_rejected,
                warehouse.transaction(),
            ):
                loaded = warehouse.execute_dml(
                    f"insert into {target} select * from {batch} as b"
                    f" where not exists (select 1 from {target} as e"
                    " where e.event_id = b.event_id)"
                )
                if rejected.num_rows:
                    warehouse.execute_dml(f"insert into {rejects} select * from {batch_rejected}")
        return loaded

    def close(self) -> None:
        """Nothing to release: the file is held only while a batch is written."""

    def _open(self) -> DuckDBWarehouse:
        """The warehouse, retried until `lock_timeout` while a reader or `sync` holds it."""
        # Readers hold the file briefly and do not queue: a writer that backs off for long
        # could wait forever behind a dashboard polling in a loop, so it retries often.
        try:
            return DuckDBWarehouse(self.path, lock_wait=self.lock_timeout, max_pause=0.003)
        except WarehouseError as exc:
            raise WarehouseError(
                f"cannot write web events to {self.path}: {exc}; "
                "is a long `sync` or `transform` holding it? retry when it is done"
            ) from None
