"""`cdc start`, `cdc status`, `cdc drop`: the slot streamed into the raw layer, and its state.

`CdcStream.run` makes sure the publication and the slot exist. A new slot is created with an
exported snapshot and the initial copy is `sync --full-refresh` read inside that snapshot (dlt
writes the raw tables exactly as `sync` does); `raw._cdc_state` then records the copy. A slot
found without that record (a run killed mid-copy) is dropped and made again. Then every batch
is applied (`apply.RawApplier`) and only then acknowledged, until `request_stop()`. A table
whose column changed type or was dropped is stopped (`stopped`) while the others go on; the
summary and `cdc status` list it with what to do.

The warehouse is opened for each batch and closed after it, so DuckDB readers (the dashboard,
`reconcile`) get the file between batches, as with `stream ingest`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from adventure_elt.catalog import SourceTable
from adventure_elt.errors import WarehouseError
from adventure_elt.oltp import server
from adventure_elt.replicate.cdc.apply import (
    AppliedState,
    RawApplier,
    TableCounts,
    forget_slot,
    read_state,
    record_copy,
)
from adventure_elt.replicate.cdc.lsn import format_lsn
from adventure_elt.replicate.cdc.preflight import check_source
from adventure_elt.replicate.cdc.publication import drop_publication, ensure_publication
from adventure_elt.replicate.cdc.reader import Batch, ChangeReader
from adventure_elt.replicate.cdc.slot import SlotStatus, create_slot, drop_slot, slot_status
from adventure_elt.replicate.cdc.status import SourceStatus, describe
from adventure_elt.replicate.cdc.stopped import StoppedTable, read_stopped
from adventure_elt.settings import Settings
from adventure_elt.warehouse import open_warehouse

# `cdc status` warns when the slot keeps more WAL than this (a stopped or forgotten stream).
RETAINED_WAL_WARNING_BYTES = 1 << 30
# How long `cdc start` waits for a slot still held by a run that was just killed.
RELEASE_WAIT_SECONDS = 10.0


@dataclass
class StreamSummary:
    """What one `cdc start` did.

    Args:
        initial_copy: whether it made the slot and copied the tables first.
        batches: batches applied.
        changes: changes read (and applied).
        tables: rows inserted, updated and deleted per table (`schema.table`).
        applied_lsn: the last position applied and acknowledged.
        lag_bytes: WAL not yet acknowledged when it stopped.
        lag_seconds: commit-to-applied delay of the last batch.
        stopped: the tables not applied (`schema.table` → what changed and what to do).
    """

    initial_copy: bool = False
    batches: int = 0
    changes: int = 0
    tables: dict[str, TableCounts] = field(default_factory=dict)
    applied_lsn: str | None = None
    lag_bytes: int | None = None
    lag_seconds: float | None = None
    stopped: dict[str, str] = field(default_factory=dict)

    def add(self, batch: Batch, counts: dict[SourceTable, TableCounts], applied: datetime) -> None:
        """Count one applied batch."""
        self.batches += 1
        self.changes += len(batch.changes)
        for table, tally in counts.items():
            total = self.tables.setdefault(table.qualified_name, TableCounts())
            total.inserted += tally.inserted
            total.updated += tally.updated
            total.deleted += tally.deleted
        self.applied_lsn = format_lsn(batch.end_lsn)
        self.lag_seconds = max(0.0, (applied - batch.last_committed_at).total_seconds())

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "initial_copy": self.initial_copy,
            "batches": self.batches,
            "changes": self.changes,
            "tables": {name: vars(t) for name, t in sorted(self.tables.items())},
            "applied_lsn": self.applied_lsn,
            "lag_bytes": self.lag_bytes,
            "lag_seconds": None if self.lag_seconds is None else round(self.lag_seconds, 3),
            "stopped": dict(sorted(self.stopped.items())),
        }


class CdcStream:
    """`cdc start`: stream the slot into raw until `request_stop()`.

    Args:
        settings: source, warehouse, slot and publication names, delete mode.
        max_changes: a batch closes at the first commit after this many changes.
        max_seconds: ... or this long after its first transaction arrived.
        on_batch: called after each batch is applied and acknowledged (progress).
        on_streaming: called once the tables are copied and the slot is being read.
        on_slot_held: called with the process holding the slot when the start waits for it
            (a run killed a moment ago holds it until the server notices).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        max_changes: int = 10_000,
        max_seconds: float = 0.2,
        on_batch: Callable[[StreamSummary], None] | None = None,
        on_streaming: Callable[[], None] | None = None,
        on_slot_held: Callable[[int], None] | None = None,
    ) -> None:
        self.settings = settings
        self.max_changes = max_changes
        self.max_seconds = max_seconds
        self.on_batch = on_batch
        self.on_streaming = on_streaming
        self.on_slot_held = on_slot_held
        self._reader: ChangeReader | None = None
        self._stop = False
        self.streaming = threading.Event()  # set once the copy is done and the slot is read

    def request_stop(self) -> None:
        """End after the batch in flight is applied (safe in a signal handler)."""
        self._stop = True
        if self._reader is not None:
            self._reader.request_stop()

    def run(self) -> StreamSummary:
        """Prepare the slot (and copy the tables when it is new), then stream until stopped.

        Raises:
            ReplicationSetupError: the source is not set up for logical replication (one line
                naming the setting), or another `cdc start` streams from the slot.
            StreamStoppedError: a TRUNCATE (nothing of it applied).
        """
        settings, summary = self.settings, StreamSummary()
        dsn = server.source_dsn(settings)
        slot = settings.cdc_slot
        summary.initial_copy = self._prepare(dsn)
        if not self._stop:
            reader = ChangeReader(
                dsn,
                slot,
                settings.cdc_publication,
                max_changes=self.max_changes,
                max_seconds=self.max_seconds,
            )
            with reader:
                self._reader = reader
                if self._stop:
                    reader.request_stop()
                self.streaming.set()
                if self.on_streaming is not None:
                    self.on_streaming()
                applier: RawApplier | None = None
                soft = settings.delete_mode == "soft"
                for batch in reader.batches():
                    with open_warehouse(settings) as warehouse:
                        if applier is None:
                            applier = RawApplier(warehouse, slot, soft_deletes=soft)
                        applier.warehouse = warehouse  # this batch's connection
                        counts = applier.apply(batch)
                    reader.acknowledge(batch.end_lsn)
                    summary.add(batch, counts, datetime.now(UTC))
                    summary.stopped = {s.table: s.message for s in applier.stopped.values()}
                    if self.on_batch is not None:
                        self.on_batch(summary)
        with server.connect_to(dsn, autocommit=True) as conn:
            status = slot_status(conn, slot)
        summary.lag_bytes = None if status is None else status.lag_bytes
        summary.stopped = {s.table: s.message for s in _recorded_stops(settings, slot)}
        return summary

    def _prepare(self, dsn: str) -> bool:
        """The publication and the slot; True when the slot was made and the tables copied."""
        settings, slot = self.settings, self.settings.cdc_slot
        with server.connect_to(dsn, autocommit=True) as conn:
            # First: the preflight refuses a slot in use, and a run killed a moment ago
            # (restarted by its orchestrator) may still seem to use it.
            existing = _released_slot(conn, slot, self.on_slot_held)
            check_source(conn, slot)
            ensure_publication(conn, settings.cdc_publication)
            if existing is not None and _recorded(settings, slot) is not None:
                return False
            if existing is not None:  # made by a run killed before its copy was recorded
                drop_slot(conn, slot)
        self._initial_copy(dsn)
        return True

    def _initial_copy(self, dsn: str) -> None:
        """Create the slot and copy every table in its snapshot (`sync --full-refresh`)."""
        from adventure_elt.replicate.sync import sync

        slot = self.settings.cdc_slot
        with create_slot(dsn, slot) as start:
            sync(self.settings, full_refresh=True, snapshot=start.snapshot_name)
            with open_warehouse(self.settings) as warehouse:
                record_copy(warehouse, slot, start.consistent_lsn)


def _released_slot(
    conn: Any, slot: str, on_held: Callable[[int], None] | None = None
) -> SlotStatus | None:
    """The slot's status once no process streams from it, or still active after
    RELEASE_WAIT_SECONDS: a run killed a moment ago holds it until the server notices.
    `on_held` hears of the process holding it, once, before the wait."""
    give_up = time.monotonic() + RELEASE_WAIT_SECONDS
    status = slot_status(conn, slot)
    if status is not None and status.active_pid is not None and on_held is not None:
        on_held(status.active_pid)
    while status is not None and status.active_pid is not None and time.monotonic() < give_up:
        time.sleep(0.1)
        status = slot_status(conn, slot)
    return status


def _recorded(settings: Settings, slot: str) -> AppliedState | None:
    """The slot's `raw._cdc_state` row; None also when the warehouse does not exist yet."""
    try:
        with open_warehouse(settings, read_only=True) as warehouse:
            return read_state(warehouse, slot)
    except WarehouseError:
        return None


def _recorded_stops(settings: Settings, slot: str) -> list[StoppedTable]:
    """The slot's stopped tables; none also when the warehouse does not exist yet."""
    try:
        with open_warehouse(settings, read_only=True) as warehouse:
            return read_stopped(warehouse, slot)
    except WarehouseError:
        return []


@dataclass(frozen=True)
class CdcStatus:
    """What `cdc status` reports: the source side, the last batch applied, the tables stopped
    and warnings (a stopped table's message among them)."""

    source: SourceStatus
    applied: AppliedState | None
    warnings: tuple[str, ...]
    stopped: tuple[StoppedTable, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (`cdc status --json`)."""
        slot = self.source.slot
        applied = self.applied
        return {
            "slot": self.source.slot_name,
            "slot_exists": slot is not None,
            "active_pid": None if slot is None else slot.active_pid,
            "publication": self.source.publication,
            "publication_exists": self.source.publication_exists,
            "unpublished": list(self.source.unpublished),
            "confirmed_lsn": None if slot is None else slot.confirmed_flush_lsn,
            "lag_bytes": None if slot is None else slot.lag_bytes,
            "lag_seconds": self.lag_seconds,
            "retained_wal_bytes": None if slot is None else slot.retained_bytes,
            "wal_status": None if slot is None else slot.wal_status,
            "last_batch": None
            if applied is None
            else {
                "applied_lsn": format_lsn(applied.applied_lsn),
                "applied_at": applied.applied_at.isoformat(),
                "load_id": applied.load_id,
                "changes": applied.changes,
            },
            "stopped_tables": [s.as_dict() for s in self.stopped],
            "warnings": list(self.warnings),
        }

    @property
    def lag_seconds(self) -> float | None:
        """Seconds since the last batch was applied while WAL is waiting (0 when none is)."""
        slot, applied = self.source.slot, self.applied
        if slot is None or applied is None or slot.lag_bytes is None:
            return None
        if slot.lag_bytes <= 0:
            return 0.0
        return round(max(0.0, time.time() - applied.applied_at.timestamp()), 3)


def cdc_status(
    settings: Settings, warn_retained_bytes: int = RETAINED_WAL_WARNING_BYTES
) -> CdcStatus:
    """The slot, the publication and the last batch applied (creates nothing)."""
    slot, publication = settings.cdc_slot, settings.cdc_publication
    with server.connect(settings) as conn:
        source = describe(conn, slot, publication)
    applied = _recorded(settings, slot)
    warnings = []
    retained = None if source.slot is None else source.slot.retained_bytes
    if retained is not None and retained > warn_retained_bytes:
        warnings.append(
            f"slot {slot} retains {retained:,} bytes of WAL (over {warn_retained_bytes:,}):"
            " run `adventure-elt cdc start`, or `adventure-elt cdc drop` if cdc is no longer used"
        )
    if source.slot is not None and source.slot.wal_status == "lost":
        warnings.append(
            f"slot {slot} lost WAL it needed: `adventure-elt cdc drop`, then start again"
        )
    stopped = tuple(_recorded_stops(settings, slot))
    warnings.extend(s.message for s in stopped)
    return CdcStatus(source, applied, tuple(warnings), stopped)


def cdc_drop(settings: Settings) -> tuple[bool, bool]:
    """Drop the slot and the publication (and the slot's state row); whether each existed.

    Raises:
        ReplicationSetupError: `cdc start` is streaming from the slot.
    """
    slot, publication = settings.cdc_slot, settings.cdc_publication
    with server.connect_to(server.source_dsn(settings), autocommit=True) as conn:
        dropped_slot = drop_slot(conn, slot)
        dropped_publication = drop_publication(conn, publication)
    if _recorded(settings, slot) is not None:
        with open_warehouse(settings) as warehouse:
            forget_slot(warehouse, slot)
    return dropped_slot, dropped_publication


def stream_running(conn: Any, slot: str) -> int | None:
    """The process streaming from `slot` (a running `cdc start`), or None."""
    status = slot_status(conn, slot)
    return None if status is None else status.active_pid
