"""A source replaced behind the sync's back (`oltp seed`, `load-csv`, a restored backup).

Incremental sync reads rows whose cursor (`modifieddate`) is at or after the one it stored. A
source refilled with older dates is never read again: the sync reads nothing, exits 0, and raw
silently keeps other data. Before extracting, each table with a stored cursor is checked for
two signs, both impossible while the source only moves forward:

- the source holds more rows dated before the cursor than raw holds at all — rows raw never
  got and never will (e.g. a reseed at a larger scale: 94,395 orders against 32,040);
- the source holds an older version of a row raw already has newer (a reseed or a restore
  sets back rows the sync had seen change). Raw's newest rows, up to `SAMPLE_ROWS`, are looked
  up in the source by key; keys gone from the source are deletes, not a replacement.

Deleted rows and commits within the lag window trigger neither. Rows written behind the cursor
another way (a commit later than `--lag`, an update that sets `modifieddate` back) do, rightly:
incremental sync would never read them either. A table that shows
one is left out of the sync, like a schema change, and the fix is `sync --full-refresh`: the
sync refuses rather than reloading by itself, because a source that looks replaced may also be
the wrong database (a mistyped DSN, a restore to the wrong point) — reloading from it would
overwrite the warehouse's good copy, and that is for a person to decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg2.extensions
import psycopg2.extras
import sqlglot.expressions as exp
from psycopg2 import sql

from adventure_elt.catalog import SourceTable
from adventure_elt.warehouse import Warehouse

SAMPLE_ROWS = 1_000  # raw's newest rows looked up in the source


@dataclass(frozen=True)
class ReplacedSource:
    """A table whose source was replaced or restored behind the sync cursor."""

    table: SourceTable
    reason: str

    def describe(self) -> str:
        """What gives the replacement away, and what to do (without the table's name)."""
        return (
            f"{self.reason} — the source was replaced or restored (oltp seed, load-csv, a"
            f" backup), or rows were written behind the cursor; the table was not synced —"
            f" check the source, then reload it with"
            f" `adventure-elt sync --full-refresh --tables {self.table.qualified_name}`"
        )

    def message(self) -> str:
        """One line: the table, what gives it away, and what to do."""
        return f"{self.table.qualified_name}: {self.describe()}"


def find_replaced(
    conn: psycopg2.extensions.connection,
    warehouse: Warehouse | None,
    table: SourceTable,
    cursor: datetime,
    since: datetime,
) -> ReplacedSource | None:
    """Check one table for a source replaced behind the cursor (see the module docstring).

    Args:
        conn: the sync's source connection (its snapshot).
        warehouse: where raw is; None when there is no warehouse yet (raw is empty).
        table: the table.
        cursor: the cursor the sync stored for it.
        since: where this sync will read from (`cursor - lag`).

    Returns:
        What gives the replacement away, or None.
    """
    exists = warehouse is not None and warehouse.table_kind("raw", table.raw_name) is not None
    raw_rows = 0
    if warehouse is not None and exists:
        relation = warehouse.relation("raw", table.raw_name)
        raw_rows = int(warehouse.fetch_all(f"select count(*) from {relation}")[0][0])
    behind = _rows_before(conn, table, since)
    if behind > raw_rows:
        return ReplacedSource(
            table,
            f"the source holds {behind:,} rows dated before the sync cursor"
            f" ({cursor.isoformat(sep=' ')}) but raw has only {raw_rows:,}",
        )
    if warehouse is None or not exists:
        return None
    keys, cursor_column = (
        [exp.to_identifier(n, quoted=True).sql(warehouse.kind) for n in names]
        for names in (table.primary_key, [table.cursor])
    )
    newest = warehouse.fetch_all(
        f"select {', '.join(keys)}, {cursor_column[0]} from {relation}"
        f" order by {cursor_column[0]} desc limit {SAMPLE_ROWS}"
    )
    older = _older_in_source(conn, table, [(*row[:-1], _naive_utc(row[-1])) for row in newest])
    if older is None:
        return None
    key, source_time, raw_time = older
    return ReplacedSource(
        table,
        f"the source holds an older version of a row raw has newer (key {key}: {table.cursor}"
        f" {source_time.isoformat(sep=' ')} in the source, {raw_time.isoformat(sep=' ')} in raw)",
    )


def _rows_before(conn: psycopg2.extensions.connection, table: SourceTable, since: datetime) -> int:
    query = sql.SQL("select count(*) from {}.{} where {} < %s").format(
        sql.Identifier(table.schema), sql.Identifier(table.name), sql.Identifier(table.cursor)
    )
    with conn.cursor() as cur:
        cur.execute(query, (since,))
        row = cur.fetchone()
    return int(row[0]) if row else 0


def _older_in_source(
    conn: psycopg2.extensions.connection, table: SourceTable, rows: list[tuple[Any, ...]]
) -> tuple[str, datetime, datetime] | None:
    """The first of raw's (key…, cursor) rows whose key the source holds with an older cursor:
    (key as text, source cursor, raw cursor); None when there is none."""
    if not rows:
        return None
    keys = [sql.Identifier(k) for k in table.primary_key]
    raw_names = [sql.Identifier(f"k{i}") for i in range(len(keys))]
    query = sql.SQL(
        "select {keys}, s.{cursor}, v.raw_cursor from {schema}.{table} as s"
        " join (values %s) as v({raw_names}, raw_cursor) on {match}"
        " where s.{cursor} < v.raw_cursor limit 1"
    ).format(
        keys=sql.SQL(", ").join(sql.SQL("s.") + k for k in keys),
        cursor=sql.Identifier(table.cursor),
        schema=sql.Identifier(table.schema),
        table=sql.Identifier(table.name),
        raw_names=sql.SQL(", ").join(raw_names),
        match=sql.SQL(" and ").join(
            sql.SQL("s.{} = v.{}").format(k, r) for k, r in zip(keys, raw_names, strict=True)
        ),
    )
    with conn.cursor() as cur:
        found = psycopg2.extras.execute_values(
            cur, query.as_string(conn), rows, page_size=len(rows), fetch=True
        )
    if not found:
        return None
    *key, source_time, raw_time = found[0]
    return ", ".join(str(k) for k in key), source_time, raw_time


def _naive_utc(value: datetime) -> datetime:
    """A cursor value as the source compares it: naive, in UTC when it came with a zone.

    >>> _naive_utc(datetime(2024, 1, 1, 12, tzinfo=UTC))
    datetime.datetime(2024, 1, 1, 12, 0)
    """
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value
