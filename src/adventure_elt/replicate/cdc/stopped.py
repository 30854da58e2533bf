"""Tables `cdc start` stopped applying (a column changed type or was dropped), kept in raw.

A stopped table's changes are read from the slot and acknowledged with the others, but not
applied: its raw table stays as it was when it stopped. `raw._cdc_stopped_tables` records it
(one row per slot and table, written with the batch that stopped it), so a restart keeps it
stopped — even if the source's column changed back: the changes skipped meanwhile are lost to
the stream. Only a full refresh of the table (`sync --full-refresh --tables …`, refused while
`cdc start` runs) brings raw back to the source; it calls `clear_stopped` once its load is
committed. The stream, started again, replays the slot from where it stopped: changes of the
table older than the refresh's snapshot converge to the same rows (each key ends at its last
change), newer ones are applied as usual.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

from adventure_elt.replicate.cdc.lsn import format_lsn
from adventure_elt.warehouse import Warehouse
from adventure_elt.warehouse.base import RAW_LAYER

STOPPED_TABLE = "_cdc_stopped_tables"
_DELETED = "_deleted_key"
_KEY = ("slot", "table_name")


@dataclass(frozen=True)
class StoppedTable:
    """A table a slot's stream no longer applies.

    Args:
        slot: the slot's name.
        table: the source table, `schema.table`.
        message: one line: what changed and what to do.
        stopped_lsn: the commit LSN of its first change not applied.
        stopped_at: when the stream stopped it (UTC).
    """

    slot: str
    table: str
    message: str
    stopped_lsn: int
    stopped_at: datetime

    def as_dict(self) -> dict[str, str]:
        """A JSON-ready form (`cdc status --json`)."""
        return {
            "table": self.table,
            "message": self.message,
            "stopped_lsn": format_lsn(self.stopped_lsn),
            "stopped_at": self.stopped_at.isoformat(),
        }


_SCHEMA = pa.schema(
    [
        pa.field("slot", pa.string(), False),
        pa.field("table_name", pa.string(), False),
        pa.field("message", pa.string()),
        pa.field("stopped_lsn", pa.int64()),
        pa.field("stopped_at", pa.timestamp("us", tz="UTC")),
        pa.field(_DELETED, pa.bool_()),
    ]
)
_COLUMNS = [f.name for f in _SCHEMA if f.name != _DELETED]


def read_stopped(warehouse: Warehouse, slot: str | None = None) -> list[StoppedTable]:
    """The tables stopped for `slot` (every slot when None), by table name."""
    if not warehouse.column_types(RAW_LAYER, STOPPED_TABLE):
        return []
    q = warehouse.quote
    where, params = ("", []) if slot is None else (f" where {q('slot')} = ?", [slot])
    rows = warehouse.fetch_all(
        f"select {', '.join(q(c) for c in _COLUMNS)}"
        f" from {warehouse.relation(RAW_LAYER, STOPPED_TABLE)}{where}",
        params,
    )
    found = [StoppedTable(str(s), str(t), str(m), int(n), at) for s, t, m, n, at in rows]
    return sorted(found, key=lambda s: (s.table, s.slot))


def write_stopped(warehouse: Warehouse, stopped: Iterable[StoppedTable]) -> None:
    """Record newly stopped tables (joins a transaction the caller has open)."""
    rows: list[dict[str, object]] = [
        {
            "slot": s.slot,
            "table_name": s.table,
            "message": s.message,
            "stopped_lsn": s.stopped_lsn,
            "stopped_at": s.stopped_at,
            _DELETED: False,
        }
        for s in stopped
    ]
    if rows:
        warehouse.ensure_table(RAW_LAYER, STOPPED_TABLE, _SCHEMA.remove(len(_SCHEMA) - 1))
        _upsert(warehouse, rows)


def clear_stopped(
    warehouse: Warehouse, tables: Iterable[str] | None = None, slot: str | None = None
) -> None:
    """Forget the stops of `tables` (`schema.table`; a full refresh reloaded them; None: all),
    for every slot or only `slot` (dropped)."""
    names = None if tables is None else set(tables)
    gone: list[dict[str, object]] = [
        {"slot": s.slot, "table_name": s.table, _DELETED: True}
        for s in read_stopped(warehouse, slot)
        if names is None or s.table in names
    ]
    if gone:
        _upsert(warehouse, gone)


def _upsert(warehouse: Warehouse, rows: list[dict[str, object]]) -> None:
    table = pa.Table.from_pylist(rows, _SCHEMA)
    warehouse.upsert(RAW_LAYER, STOPPED_TABLE, table, _KEY, _DELETED)
