"""What a `sync` did: per-table counts (`TableSync`) and the run's summary (`SyncSummary`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class TableSync:
    """What one table's sync did.

    Args:
        table: `schema.table`.
        mode: `initial` (first load), `incremental` or `full refresh`.
        rows_read: rows read from the source (incremental: `modifieddate >= cursor - lag`).
        inserted: rows whose key was new to the raw table.
        updated: rows whose key existed with different content.
        unchanged: re-read rows identical to raw, not written again.
        deleted: rows removed or flagged by delete detection.
        seconds: time spent reading this table (the shared load is in `SyncSummary.seconds`).
        notes: remarks for people, e.g. a new column that old rows hold as NULL.
    """

    table: str
    mode: str = "incremental"
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


@dataclass
class SyncSummary:
    """The result of one `sync`: per-table counts and the load that wrote them."""

    tables: list[TableSync]
    load_id: str | None
    seconds: float

    @property
    def rows_written(self) -> int:
        """Rows inserted or updated over all tables."""
        return sum(t.inserted + t.updated for t in self.tables)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (the `sync --json` output)."""
        return {
            "load_id": self.load_id,
            "seconds": round(self.seconds, 3),
            "tables": [{**asdict(t), "seconds": round(t.seconds, 3)} for t in self.tables],
        }
