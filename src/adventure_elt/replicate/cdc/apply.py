"""Apply micro-batches of changes to the raw tables `sync` writes, exactly once in effect.

A batch is reduced to each key's last state (`net_changes`): a new row, or a deleted key. Those
go to the warehouse with `Warehouse.upsert`, a table at a time — every key is deleted and its new
row inserted (or, with `ADVENTURE_ELT_DELETE_MODE=soft`, a deleted key's row flagged
`_is_deleted`), so applying a batch twice changes nothing. The rows carry `sync`'s load
metadata: `_extracted_at` (when the batch was read), `_dlt_load_id` (one per batch, as dlt's
load ids are made) and a fresh `_dlt_id`.

With the rows, the slot's row of `raw._cdc_state` is upserted last: the end of the last batch
applied (`applied_lsn`). All of it runs in one `Warehouse.transaction()`: DuckDB commits the
tables and the state together; BigQuery, without transactions, merges each table atomically
(one MERGE each) and the state last. Changes of transactions that committed before `applied_lsn` are
skipped on re-delivery (a kill between the warehouse's commit and the acknowledgement), and any
that were applied but not recorded (BigQuery, a kill between two tables) merge again to the
same rows. Acknowledge `batch.end_lsn` to the slot only after `apply` returns.

A TRUNCATE is refused (`StreamStoppedError`): replaying it would empty raw while the source may
already hold new rows again; the message says how to start afresh. A changed column type or a
dropped column stops that table only, as `sync` leaves it out: from the change that shows it on,
its changes are not applied (the other tables' are), and `stopped.StoppedTable` records it with
the batch, with one line saying what changed and how to recover (a full refresh of the table).
A new column is added to raw, as `sync` adds it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from adventure_elt.catalog import DELETED_COLUMN, SourceTable, get_table
from adventure_elt.errors import AdventureEltError
from adventure_elt.replicate.cdc.changes import Change
from adventure_elt.replicate.cdc.lsn import format_lsn
from adventure_elt.replicate.cdc.reader import Batch
from adventure_elt.replicate.cdc.stopped import (
    StoppedTable,
    clear_stopped,
    read_stopped,
    write_stopped,
)
from adventure_elt.replicate.cdc.values import rows_to_arrow
from adventure_elt.replicate.drift import is_metadata
from adventure_elt.replicate.extract import SourceColumn
from adventure_elt.replicate.resource import stamp
from adventure_elt.warehouse import Warehouse
from adventure_elt.warehouse.base import RAW_LAYER

STATE_TABLE = "_cdc_state"
# The boolean column of the rows handed to `Warehouse.upsert` marking a deleted key.
DELETED_KEY = "_deleted_key"

Key = tuple[Any, ...]


class StreamStoppedError(AdventureEltError):
    """The stream met a change it must not apply (a TRUNCATE); nothing of that batch was
    applied or acknowledged."""

    exit_code = 1


@dataclass
class TableCounts:
    """Rows one table received: changes by kind, as the source made them."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0


@dataclass(frozen=True)
class AppliedState:
    """What `raw._cdc_state` holds for a slot.

    Args:
        slot: the slot's name.
        applied_lsn: the end of the last batch applied (or of the initial copy).
        copied_lsn: where the initial copy's snapshot ended (the slot's consistent point).
        load_id: the `_dlt_load_id` of the last batch.
        applied_at: when it was applied (UTC).
        changes: how many changes it held.
    """

    slot: str
    applied_lsn: int
    copied_lsn: int
    load_id: str
    applied_at: datetime
    changes: int


@dataclass
class _Pending:
    """One key's last state in a batch, and where to find values PostgreSQL did not send."""

    change: Change
    fill_key: Key | None = None  # the key whose raw row holds the unsent (TOASTed) values
    unchanged: frozenset[str] = field(default_factory=frozenset)


def key_of(table: SourceTable, values: Mapping[str, Any]) -> Key:
    """A row's primary key as a tuple, in the catalog's key order."""
    return tuple(values[k] for k in table.primary_key)


def net_changes(changes: Sequence[Change]) -> dict[SourceTable, dict[Key, _Pending]]:
    """Each key's last state after the changes, in order: the last row put, or a delete.

    An update that did not send some columns (TOASTed, untouched) takes them from the key's
    earlier row in the batch; when there is none they stay `unchanged`, to be read from raw.

    Raises:
        StreamStoppedError: a TRUNCATE.
    """
    net: dict[SourceTable, dict[Key, _Pending]] = {}
    rows: dict[tuple[SourceTable, Key], dict[str, Any]] = {}
    previous: Change | None = None
    for change in changes:
        if change.op == "truncate":
            raise StreamStoppedError(
                f"{change.table.qualified_name} was truncated in the source (LSN"
                f" {format_lsn(change.commit_lsn)}); cdc does not replay a TRUNCATE — run"
                " `adventure-elt cdc drop`, then `adventure-elt cdc start` to copy the tables again"
            )
        assert change.key is not None  # only a truncate has none
        key = key_of(change.table, change.key)
        pending = _Pending(change)
        if change.row is not None and change.unchanged:
            # an update sends the key's own old values; the insert half of a key change the
            # values of the row deleted just before it
            source = key
            if change.op == "insert" and previous is not None and previous.op == "delete":
                assert previous.key is not None
                source = key_of(previous.table, previous.key)
            earlier = rows.get((change.table, source))
            if earlier is not None:
                filled = {c: earlier[c] for c in change.unchanged if c in earlier}
                pending = _Pending(replace(change, row={**change.row, **filled}))
            else:
                pending = _Pending(change, source, change.unchanged)
        if pending.change.row is not None:
            rows[(change.table, key)] = pending.change.row
        net.setdefault(change.table, {})[key] = pending
        previous = change
    return net


def count(changes: Sequence[Change]) -> dict[SourceTable, TableCounts]:
    """Inserts, updates and deletes per table (a key change counts as a delete and an insert)."""
    counts: dict[SourceTable, TableCounts] = {}
    for change in changes:
        tally = counts.setdefault(change.table, TableCounts())
        if change.op == "insert":
            tally.inserted += 1
        elif change.op == "update":
            tally.updated += 1
        else:
            tally.deleted += 1
    return counts


class RawApplier:
    """Applies batches of one slot to the raw layer of an open warehouse.

    Keep one applier for a whole stream (it remembers the slot's state, its stopped tables and
    raw's column types); `warehouse` may be replaced by a new connection between batches.

    Args:
        warehouse: the raw layer's warehouse (kept open by the caller).
        slot: the slot whose progress `raw._cdc_state` records.
        soft_deletes: flag deleted rows `_is_deleted` instead of deleting them.
    """

    def __init__(self, warehouse: Warehouse, slot: str, *, soft_deletes: bool = False) -> None:
        self.warehouse = warehouse
        self._slot = slot
        self._soft = soft_deletes
        self._raw_types: dict[SourceTable, dict[str, pa.DataType]] = {}
        self.state = read_state(warehouse, slot)
        self.stopped = {get_table(s.table): s for s in read_stopped(warehouse, slot)}

    def apply(self, batch: Batch) -> dict[SourceTable, TableCounts]:
        """Write the batch's changes not applied yet, with the new state; what was written.

        A table whose column changed type or was dropped is stopped (`self.stopped`): its
        changes are left out, from this batch on.

        Raises:
            StreamStoppedError: a TRUNCATE (nothing of the batch is written then).
        """
        if self.state is None:
            raise AdventureEltError(f"no initial copy is recorded for slot {self._slot}")
        fresh = [
            c
            for c in batch.changes
            if c.commit_lsn >= self.state.applied_lsn and c.table not in self.stopped
        ]
        net = net_changes(fresh)
        now = datetime.now(UTC)
        stops: dict[SourceTable, StoppedTable] = {}
        for table in net:
            problem = self._column_problem(table, batch.columns[table])
            if problem is not None:
                first = min(c.commit_lsn for c in fresh if c.table == table)
                stops[table] = StoppedTable(self._slot, table.qualified_name, problem, first, now)
        for table in stops:
            del net[table]
        fresh = [c for c in fresh if c.table not in stops]
        widened = [
            t for t in net if any(c.name not in self._raw_schema(t) for c in batch.columns[t])
        ]
        load_id = f"{time.time():.6f}"
        state = AppliedState(
            self._slot,
            max(batch.end_lsn, self.state.applied_lsn),
            self.state.copied_lsn,
            load_id,
            now,
            len(fresh),
        )
        warehouse, flag = self.warehouse, DELETED_COLUMN if self._soft else None
        tables = {
            t: self._rows(t, batch.columns[t], keyed, now, load_id) for t, keyed in net.items()
        }
        for table in widened:
            warehouse.add_columns(RAW_LAYER, table.raw_name, _without_deleted(tables[table].schema))
            del self._raw_types[table]  # look again: raw has the new column now
        with warehouse.transaction():
            for table, rows in tables.items():
                rows = _conformed(rows, self._raw_schema(table))
                warehouse.upsert(
                    RAW_LAYER, table.raw_name, rows, table.primary_key, DELETED_KEY, flag
                )
            write_stopped(warehouse, stops.values())  # before the state: re-delivery stops again
            _write_state(warehouse, state)
        self.state = state
        self.stopped.update(stops)
        return count(fresh)

    def _column_problem(self, table: SourceTable, columns: Sequence[SourceColumn]) -> str | None:
        """Why the table must stop: a column whose type differs from raw's, or a raw column
        the source dropped (what `sync` leaves a table out for), with what to do; None when
        raw can take its rows. Types are compared as Arrow types, as both engines return them."""
        raw = self._raw_schema(table)
        what = None
        for column in columns:
            if column.name in raw and not _same_type(column.arrow_type, raw[column.name]):
                what = (
                    f"column {column.name!r} is {column.pg_type} in the source but"
                    f" {raw[column.name]} in raw.{table.raw_name}"
                )
                break
        names = {c.name for c in columns}
        dropped = [n for n in raw if n not in names and not is_metadata(n)]
        if what is None and dropped:
            what = (
                f"column {dropped[0]!r} was dropped from the source but raw.{table.raw_name}"
                " still has it"
            )
        if what is None:
            return None
        return (
            f"{table.qualified_name}: {what}; cdc stopped applying this table (the others go"
            " on) — stop `adventure-elt cdc start`, run `adventure-elt sync --full-refresh"
            f" --tables {table.qualified_name}`, then start it again"
        )

    def _raw_schema(self, table: SourceTable) -> dict[str, pa.DataType]:
        """Raw's column name → Arrow type for `table` (read once, again after a column was
        added)."""
        raw = self._raw_types.get(table)
        if raw is None:
            relation = self.warehouse.relation(RAW_LAYER, table.raw_name)
            schema = self.warehouse.fetch_arrow(f"select * from {relation} where false").schema
            raw = self._raw_types[table] = {f.name: f.type for f in schema}
        return raw

    def _rows(
        self,
        table: SourceTable,
        columns: Sequence[SourceColumn],
        keyed: Mapping[Key, _Pending],
        now: datetime,
        load_id: str,
    ) -> pa.Table:
        """One table's net changes, one row per key (a deleted key: only its key columns and
        `DELETED_KEY` true), stamped with sync's load metadata."""
        rows = [
            self._filled(table, p) if p.change.row is not None else dict(p.change.key or {})
            for p in keyed.values()
        ]
        arrow = rows_to_arrow(columns, rows)
        stamped = stamp(arrow, now, load_id, table.primary_key)
        deleted = pa.array([p.change.row is None for p in keyed.values()], pa.bool_())
        return stamped.append_column(DELETED_KEY, deleted)

    def _filled(self, table: SourceTable, pending: _Pending) -> dict[str, Any]:
        """The pending row, with the values PostgreSQL did not send read from raw."""
        row = dict(pending.change.row or {})
        if pending.fill_key is None or not pending.unchanged:
            return row
        names = sorted(pending.unchanged)
        warehouse = self.warehouse
        where = " and ".join(f"{warehouse.quote(k)} = ?" for k in table.primary_key)
        found = warehouse.fetch_all(
            f"select {', '.join(warehouse.quote(n) for n in names)}"
            f" from {warehouse.relation(RAW_LAYER, table.raw_name)} where {where}",
            list(pending.fill_key),
        )
        if found:
            row.update(zip(names, found[0], strict=True))
        return row


def _conformed(rows: pa.Table, raw: Mapping[str, pa.DataType]) -> pa.Table:
    """`rows` with each column cast to raw's Arrow type where they differ (only timestamps
    can: BigQuery's raw holds naive ones as TIMESTAMP, and does not coerce a DATETIME there).

    >>> rows = pa.table({"at": pa.array([0], pa.timestamp("us")), "n": [1]})
    >>> _conformed(rows, {"at": pa.timestamp("us", tz="UTC")}).schema.field("at").type
    TimestampType(timestamp[us, tz=UTC])
    """
    for i, column in enumerate(rows.schema):
        kind = raw.get(column.name)
        if kind is not None and kind != column.type:
            rows = rows.set_column(i, column.name, rows.column(i).cast(kind))
    return rows


def _without_deleted(schema: pa.Schema) -> pa.Schema:
    return schema.remove(schema.get_field_index(DELETED_KEY))


def _same_type(source: pa.DataType, raw: pa.DataType) -> bool:
    """Whether raw holds a source column's values as they are read. Timestamps match any
    timestamp: BigQuery's raw layer holds naive ones as TIMESTAMP (dlt makes them so).

    >>> _same_type(pa.timestamp("us"), pa.timestamp("us", tz="Etc/UTC"))
    True
    >>> _same_type(pa.int64(), pa.string())
    False
    """
    if pa.types.is_timestamp(source) and pa.types.is_timestamp(raw):
        return True
    return bool(source == raw)


def read_state(warehouse: Warehouse, slot: str) -> AppliedState | None:
    """The slot's row of `raw._cdc_state`, or None when no initial copy was recorded for it."""
    if not warehouse.column_types(RAW_LAYER, STATE_TABLE):
        return None
    names = [f.name for f in _STATE_SCHEMA if f.name != DELETED_KEY]
    rows = warehouse.fetch_all(
        f"select {', '.join(warehouse.quote(n) for n in names)}"
        f" from {warehouse.relation(RAW_LAYER, STATE_TABLE)} where {warehouse.quote('slot')} = ?",
        [slot],
    )
    if not rows:
        return None
    values = dict(zip(names, rows[0], strict=True))
    return AppliedState(
        slot=str(values["slot"]),
        applied_lsn=int(values["applied_lsn"]),
        copied_lsn=int(values["copied_lsn"]),
        load_id=str(values["load_id"]),
        applied_at=values["applied_at"],
        changes=int(values["changes"]),
    )


def record_copy(warehouse: Warehouse, slot: str, consistent_lsn: int) -> AppliedState:
    """Record that the initial copy of `slot`'s snapshot is complete in raw."""
    state = AppliedState(slot, consistent_lsn, consistent_lsn, "", datetime.now(UTC), 0)
    warehouse.ensure_table(RAW_LAYER, STATE_TABLE, _without_deleted(_STATE_SCHEMA))
    _write_state(warehouse, state)
    return state


def forget_slot(warehouse: Warehouse, slot: str) -> None:
    """Remove the slot's row of `raw._cdc_state` and its stopped tables (its slot was
    dropped)."""
    clear_stopped(warehouse, slot=slot)
    rows = pa.Table.from_pylist([{"slot": slot, DELETED_KEY: True}], _STATE_SCHEMA)
    warehouse.upsert(RAW_LAYER, STATE_TABLE, rows, ("slot",), DELETED_KEY)


_STATE_SCHEMA = pa.schema(
    [
        pa.field("slot", pa.string(), False),
        pa.field("applied_lsn", pa.int64()),
        pa.field("copied_lsn", pa.int64()),
        pa.field("load_id", pa.string()),
        pa.field("applied_at", pa.timestamp("us", tz="UTC")),
        pa.field("changes", pa.int64()),
        pa.field(DELETED_KEY, pa.bool_()),
    ]
)


def _write_state(warehouse: Warehouse, state: AppliedState) -> None:
    """Upsert the slot's row of `raw._cdc_state`."""
    row = {
        "slot": state.slot,
        "applied_lsn": state.applied_lsn,
        "copied_lsn": state.copied_lsn,
        "load_id": state.load_id,
        "applied_at": state.applied_at,
        "changes": state.changes,
        DELETED_KEY: False,
    }
    rows = pa.Table.from_pylist([row], _STATE_SCHEMA)
    warehouse.upsert(RAW_LAYER, STATE_TABLE, rows, ("slot",), DELETED_KEY)
