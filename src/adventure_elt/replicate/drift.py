"""Schema drift: find source column type changes the raw layer cannot take, before extracting.

A new source column is added to raw by dlt and a dropped one stays in raw (NULL from then on);
both are harmless. A changed type is not: dlt would quietly turn a new integer into text in a
VARCHAR column, or fail the whole load casting text into a BIGINT one. So `sync` compares each
source column's contract type with the type raw holds and leaves a table with a mismatch out of
the run (nothing of it is loaded), syncs the others, then raises `SchemaChangeError`.
`sync --full-refresh --tables <table>` rebuilds the raw table with the new types.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from adventure_elt.catalog import SourceTable
from adventure_elt.errors import AdventureEltError
from adventure_elt.replicate.extract import SourceColumn

if TYPE_CHECKING:
    from adventure_elt.replicate.pipeline import SyncSummary


@dataclass(frozen=True)
class TypeChange:
    """A source column whose type no longer matches the raw column it replicates into."""

    table: SourceTable
    column: str
    source_type: str
    raw_type: str

    def message(self) -> str:
        """One line: which table and column, both types, and what to do."""
        return (
            f"{self.table.qualified_name}: column {self.column!r} is {self.source_type} in the"
            f" source but {self.raw_type} in raw.{self.table.raw_name}; the table was not synced"
            f" — reload it with `adventure-elt sync --full-refresh --tables"
            f" {self.table.qualified_name}`"
        )


class SchemaChangeError(AdventureEltError):
    """Some tables were not synced because a source column changed type; the others were.

    `summary` holds what the run did, failed tables included (mode `failed`).
    """

    def __init__(self, changes: Sequence[TypeChange], summary: SyncSummary) -> None:
        first = changes[0].message()
        more = f" (and {len(changes) - 1} more table(s))" if len(changes) > 1 else ""
        super().__init__(first + more)
        self.changes = list(changes)
        self.summary = summary


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


def type_changes(
    table: SourceTable, columns: Iterable[SourceColumn], raw: dict[str, str]
) -> list[TypeChange]:
    """Source columns that raw holds with another type (new columns are not changes)."""
    return [
        TypeChange(table, c.name, c.pg_type, raw[c.name])
        for c in columns
        if c.name in raw and raw[c.name].upper().replace(" ", "") != raw_type(c).replace(" ", "")
    ]


def duckdb_raw_columns(
    path: Path, tables: Iterable[SourceTable]
) -> dict[SourceTable, dict[str, str]]:
    """Column → type of each existing raw table in the DuckDB file (none: no file yet)."""
    wanted = {t.raw_name: t for t in tables}
    if not path.is_file() or not wanted:
        return {}
    from adventure_elt.warehouse import connect_duckdb

    # Read-only and closed before dlt loads: DuckDB refuses a second, differently configured
    # connection to the same file in one process.
    with connect_duckdb(path, read_only=True) as con:
        rows = con.execute(
            "select table_name, column_name, data_type from information_schema.columns"
            " where table_schema = 'raw' order by table_name, ordinal_position"
        ).fetchall()
    found: dict[SourceTable, dict[str, str]] = {}
    for table_name, column, kind in rows:
        if table_name in wanted:
            found.setdefault(wanted[table_name], {})[str(column)] = str(kind)
    return found
