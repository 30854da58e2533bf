"""Schema drift: find source column changes the raw layer cannot take, before extracting.

A new source column is added to raw by dlt (rows loaded earlier hold NULL there until a full
refresh; `sync` says so). A changed type is not harmless: dlt would quietly turn a new integer
into text in a VARCHAR column, or fail the whole load casting text into a BIGINT one. Nor is a
dropped column: raw would keep it, NULL for every row changed from then on, and look complete.
So `sync` compares each table's source columns with raw's and leaves a table with a changed
type (DuckDB) or a dropped column (any warehouse) out of the run (nothing of it is loaded),
syncs the others, then raises `SchemaChangeError`.

`sync --full-refresh --tables <table>` first alters the raw table in place (`raw_alterations`:
the dropped column goes, a changed column takes its new type with old values cast where they
can be), then swaps the new rows in as every full refresh does, so readers never see the table
empty or missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

from adventure_elt.catalog import SourceTable
from adventure_elt.replicate.extract import SourceColumn
from adventure_elt.replicate.not_synced import TablesNotSyncedError

if TYPE_CHECKING:
    from adventure_elt.replicate.summary import SyncSummary
    from adventure_elt.warehouse import Warehouse

# Columns raw has and the source has not, by design: sync's and delete detection's own.
_METADATA = re.compile(r"^(_extracted_at|_is_deleted|_dlt_.*)$")


def is_metadata(column: str) -> bool:
    """Whether a raw column is replication metadata rather than a source column.

    >>> is_metadata("_dlt_load_id"), is_metadata("_is_deleted"), is_metadata("modifieddate")
    (True, True, False)
    """
    return bool(_METADATA.match(column))


@dataclass(frozen=True)
class SchemaChange:
    """A source column raw can no longer follow: its type changed, or it was dropped.

    Args:
        table: the source table.
        column: the column's name.
        source_type: its PostgreSQL type now; None when the source dropped it.
        raw_type: its type in raw.
        new_raw_type: the raw type the source type maps to (None when dropped).
    """

    table: SourceTable
    column: str
    source_type: str | None
    raw_type: str
    new_raw_type: str | None = None

    @property
    def dropped(self) -> bool:
        """True when the source no longer has the column."""
        return self.source_type is None

    def describe(self) -> str:
        """What changed and what to do (without the table's name)."""
        what = (
            f"was dropped from the source but raw.{self.table.raw_name} still has it"
            if self.dropped
            else f"is {self.source_type} in the source but {self.raw_type} in"
            f" raw.{self.table.raw_name}"
        )
        return (
            f"column {self.column!r} {what}; the table was not synced — reload it with"
            f" `adventure-elt sync --full-refresh --tables {self.table.qualified_name}`"
        )

    def message(self) -> str:
        """One line: which table and column, what changed, and what to do."""
        return f"{self.table.qualified_name}: {self.describe()}"

    def note(self) -> str:
        """What a full refresh did about it, for the sync summary."""
        if self.dropped:
            return f"column {self.column} was dropped from the source: raw lost it too"
        return (
            f"column {self.column} changed type ({self.raw_type} → {self.source_type}):"
            f" raw.{self.table.raw_name} was rebuilt"
        )


class SchemaChangeError(TablesNotSyncedError):
    """Some tables were not synced because a source column changed type or was dropped; the
    others were. `changes` lists the changes, `summary` what the run did.
    """

    def __init__(self, changes: Sequence[SchemaChange], summary: SyncSummary) -> None:
        super().__init__(changes, summary)
        self.changes = list(changes)


def raw_type(column: SourceColumn) -> str:
    """The DuckDB type the raw-layer contract gives a source column.

    >>> raw_type(SourceColumn("n", "integer", pa.int64(), True))
    'BIGINT'
    >>> raw_type(SourceColumn("t", "character varying", pa.string(), True))
    'VARCHAR'
    """
    kind = column.arrow_type
    if pa.types.is_decimal(kind):
        return "DECIMAL(38,9)"
    if pa.types.is_timestamp(kind):
        return "TIMESTAMP WITH TIME ZONE" if kind.tz is not None else "TIMESTAMP"
    names = {
        pa.int64(): "BIGINT",
        pa.bool_(): "BOOLEAN",
        pa.binary(): "BLOB",
        pa.date32(): "DATE",
        pa.float64(): "DOUBLE",
    }
    return names.get(kind, "VARCHAR")


def schema_changes(
    table: SourceTable,
    columns: Iterable[SourceColumn],
    raw: dict[str, str],
    *,
    compare_types: bool = True,
) -> list[SchemaChange]:
    """Source columns that raw holds with another type, and raw columns the source dropped.

    New source columns are not changes. `raw` maps column → type as DuckDB names it; with
    `compare_types=False` (another engine's type names) only dropped columns are found.
    """
    columns = list(columns)
    names = {c.name for c in columns}
    changed = [
        SchemaChange(table, c.name, c.pg_type, raw[c.name], raw_type(c))
        for c in columns
        if compare_types
        and c.name in raw
        and raw[c.name].upper().replace(" ", "") != raw_type(c).replace(" ", "")
    ]
    dropped = [
        SchemaChange(table, name, None, kind)
        for name, kind in raw.items()
        if name not in names and not is_metadata(name)
    ]
    return changed + dropped


def raw_alterations(warehouse: Warehouse, changes: Sequence[SchemaChange]) -> list[str]:
    """The statements that make a raw table take its source's new shape, keeping its rows.

    A dropped column is dropped; a changed column gets its new type (DuckDB syntax: type
    changes are only found on DuckDB), old values cast where they can be, else NULL. Run them
    before the full refresh that reloads the table.

    Args:
        warehouse: where the raw table is (it quotes names).
        changes: the changes of one or more tables.

    Returns:
        ALTER TABLE statements, one per change.
    """
    statements = []
    for change in changes:
        table = warehouse.relation("raw", change.table.raw_name)
        column = warehouse.quote(change.column)
        if change.dropped:
            statements.append(f"alter table {table} drop column {column}")
        else:
            statements.append(
                f"alter table {table} alter column {column} set data type"
                f" {change.new_raw_type} using try_cast({column} as {change.new_raw_type})"
            )
    return statements
