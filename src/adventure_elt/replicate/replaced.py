"""A source replaced behind the sync's back (`oltp seed`, `load-csv`, a restored backup).

Incremental sync reads rows whose cursor (`modifieddate`) is at or after the one it stored. A
source refilled with older dates is never read again: the sync reads nothing, exits 0, and raw
silently keeps other data. Before extracting, each table with a stored cursor is checked for
two signs, both impossible while the source only moves forward:

- the source holds more rows dated before the cursor than raw holds at all — rows raw never
  got and never will (e.g. a reseed at a larger scale: 94,395 orders against 32,040);
- the source's newest row is older than the cursor, and the source holds an older version of a
  row raw has newer (a reseed or a restore sets back rows the sync had seen change). Raw's
  newest rows, up to `SAMPLE_ROWS`, are looked up in the source by key: when they are merely
  gone, the newest rows were deleted, which is no replacement.

Deleted rows, commits within the lag window and a single update that sets `modifieddate` back
(invisible to incremental sync, as documented; `--lag` or a full refresh carries it) trigger
neither. Many rows committed later than `--lag` trigger the first, rightly: incremental sync
would never read them. A table that shows
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
    behind, newest_in_source = _rows_before(conn, table, since)
    if behind > raw_rows:
        return ReplacedSource(
            table,
            f"the source holds {behind:,} rows dated before the sync cursor"
            f" ({cursor.isoformat(sep=' ')}) but raw has only {raw_rows:,}",
        )
    if warehouse is None or not exists or newest_in_source is None:
        return None
    if _naive_utc(newest_in_source) >= _naive_utc(cursor):
        return None
    keys, cursor_column = (
        [warehouse.quote(n) for n in names] for names in (table.primary_key, [table.cursor])
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
        f"the source's newest {table.cursor} ({newest_in_source.isoformat(sep=' ')}) is older"
        f" than the sync cursor ({cursor.isoformat(sep=' ')}) and it holds older versions of rows"
        f" raw has (key {key}: {source_time.isoformat(sep=' ')} in the source,"
        f" {raw_time.isoformat(sep=' ')} in raw)",
    )


def _rows_before(
    conn: psycopg2.extensions.connection, table: SourceTable, since: datetime
) -> tuple[int, datetime | None]:
    """Rows whose cursor is before `since`, and the newest cursor value, in one scan."""
    query = sql.SQL("select count(*) filter (where {c} < %s), max({c}) from {s}.{t}").format(
        c=sql.Identifier(table.cursor), s=sql.Identifier(table.schema), t=sql.Identifier(table.name)
    )
    with conn.cursor() as cur:
        cur.execute(query, (since,))
        row = cur.fetchone()
    return (int(row[0]), row[1]) if row else (0, None)


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
