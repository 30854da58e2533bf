"""Where micro-batches of events go: a small interface, one class per engine.

DuckDB allows one writing process or many reading ones on a file. The DuckDB sink therefore
holds the file only for one short transaction per micro-batch (open, de-duplicate and insert,
commit, close); readers (`report`, `query`, the dashboard) open it read-only and retry briefly
when a batch is being written (see `DuckDBWarehouse`). The BigQuery sink (`bigquery_sink.py`)
streams with the event id as insert id, after looking up which ids are stored already.
"""

from __future__ import annotations

import random
import time
from abc import ABC, abstractmethod
from pathlib import Path

import pyarrow as pa

from adventure_elt.errors import WarehouseError
from adventure_elt.settings import Settings
from adventure_elt.stream.tables import (
    EVENTS_TABLE,
    RAW_LAYER,
    REJECTED_TABLE,
    ensure_event_tables,
)
from adventure_elt.warehouse import DuckDBWarehouse


class EventSink(ABC):
    """Stores micro-batches of checked events and of rejected lines."""

    @abstractmethod
    def existing_ids(self, event_ids: list[str]) -> set[str]:
        """Which of `event_ids` are stored already."""

    @abstractmethod
    def append(self, events: pa.Table, rejected: pa.Table) -> None:
        """Store events (all new) and rejected lines, as one unit where the engine allows."""

    def write_batch(self, events: pa.Table, rejected: pa.Table) -> int:
        """Store the events whose id is not stored yet, and every rejected line.

        Args:
            events: rows in `EVENTS_SCHEMA`, unique by event_id within the batch.
            rejected: rows in `REJECTED_SCHEMA`.

        Returns:
            How many events were new (and so stored).
        """
        stored = self.existing_ids(events.column("event_id").to_pylist())
        if stored:
            keep = [event_id not in stored for event_id in events.column("event_id").to_pylist()]
            events = events.filter(pa.array(keep))
        self.append(events, rejected)
        return int(events.num_rows)

    def close(self) -> None:  # noqa: B027 - an optional hook, not every sink holds anything
        """Release what the sink holds between batches (DuckDB's holds nothing)."""


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

    def existing_ids(self, event_ids: list[str]) -> set[str]:
        ids = pa.table({"event_id": pa.array(event_ids, pa.string())})
        warehouse = self._open()
        try:
            warehouse.connection.register("batch_ids", ids)
            rows = warehouse.fetch_all(
                f"select b.event_id from batch_ids as b semi join {self._events} as e"
                " on e.event_id = b.event_id"
            )
        finally:
            warehouse.close()
        return {str(r[0]) for r in rows}

    def append(self, events: pa.Table, rejected: pa.Table) -> None:
        warehouse = self._open()
        try:
            self._insert(warehouse, events, rejected, dedup=False)
        finally:
            warehouse.close()

    def write_batch(self, events: pa.Table, rejected: pa.Table) -> int:
        # One transaction: the anti-join and the insert see the same table, so two ingesters
        # replaying the same file cannot both load an event.
        warehouse = self._open()
        try:
            return self._insert(warehouse, events, rejected, dedup=True)
        finally:
            warehouse.close()

    @property
    def _events(self) -> str:
        return f'"{RAW_LAYER}"."{EVENTS_TABLE}"'

    def _insert(
        self, warehouse: DuckDBWarehouse, events: pa.Table, rejected: pa.Table, dedup: bool
    ) -> int:
        connection = warehouse.connection
        connection.register("batch_events", events)
        connection.register("batch_rejected", rejected)
        connection.execute("begin transaction")
        try:
            before = connection.execute(f"select count(*) from {self._events}").fetchone()
            where = (
                f" where not exists (select 1 from {self._events} as e"
                " where e.event_id = b.event_id)"
                if dedup
                else ""
            )
            connection.execute(f"insert into {self._events} select * from batch_events as b{where}")
            after = connection.execute(f"select count(*) from {self._events}").fetchone()
            if rejected.num_rows:
                connection.execute(
                    f'insert into "{RAW_LAYER}"."{REJECTED_TABLE}" select * from batch_rejected'
                )
            connection.execute("commit")
        except Exception:
            connection.execute("rollback")
            raise
        assert before is not None and after is not None
        return int(after[0]) - int(before[0])

    def _open(self) -> DuckDBWarehouse:
        """The warehouse, retried until `lock_timeout` while a reader or `sync` holds it."""
        # Readers hold the file briefly and do not queue: a writer that backs off for long
        # could wait forever behind a dashboard polling in a loop, so it retries often.
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                return DuckDBWarehouse(self.path, lock_wait=0.0)
            except WarehouseError as exc:
                if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                    raise WarehouseError(
                        f"cannot write web events to {self.path}: {exc}; "
                        "is a long `sync` or `transform` holding it? retry when it is done"
                    ) from None
                time.sleep(random.uniform(0.001, 0.005))


def open_sink(settings: Settings, lock_timeout: float = 60.0) -> EventSink:
    """The sink for the configured warehouse.

    Args:
        settings: which warehouse.
        lock_timeout: DuckDB only: how long to wait for a file another process holds.

    Returns:
        An EventSink with both raw tables created.
    """
    if settings.warehouse == "bigquery":
        from adventure_elt.stream.bigquery_sink import BigQuerySink

        return BigQuerySink(settings)
    return DuckDBSink(settings.duckdb_path, lock_timeout=lock_timeout)
