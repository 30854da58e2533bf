"""A source replaced behind the sync's back (`oltp seed`, `load-csv`, a restored backup).

Incremental sync reads rows whose cursor (`modifieddate`) is at or after the one it stored. A
source refilled with older dates is never read again: the sync reads nothing, exits 0, and raw
silently keeps other data. Before it is extracted, each table with a stored cursor is checked
for two signs, both impossible while the source only moves forward (`ReplacedChecks`):

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

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg2.extensions
import psycopg2.extras
from psycopg2 import sql

from adventure_elt.catalog import SourceTable
from adventure_elt.oltp import server
from adventure_elt.replicate.cdc.snapshot import use_snapshot
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


class ReplacedChecks:
    """The replaced-source check of each table with a stored cursor, its scan run ahead.

    Each check scans its whole source table (`_rows_before`): it grows with the table, not with
    the changes (0.4 s of an incremental sync at scale 10, bench/RESULTS.md). Instead of running
    all of them before the extraction starts, a thread runs them in table order on a second
    connection in the sync's snapshot, while the sync extracts the tables before; each table
    waits for its own check only, just before it is read (`check`).
    """

    def __init__(
        self,
        conn: psycopg2.extensions.connection,
        scans: psycopg2.extensions.connection,
        warehouse: Warehouse,
        cursors: dict[SourceTable, tuple[datetime, datetime]],
    ) -> None:
        """Start the scans.

        Args:
            conn: the sync's source connection, idle when `check` is called.
            scans: a second connection in the same snapshot, for the scans only.
            warehouse: where raw is (used from the caller's thread only).
            cursors: each table's stored cursor and where this sync reads it from
                (`cursor - lag`), in the order the tables will be checked.
        """
        self._conn, self._scans, self._warehouse = conn, scans, warehouse
        self._cursors = cursors
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="replaced-scan")
        self._rows_before = {
            table: self._pool.submit(_rows_before, scans, table, since)
            for table, (_, since) in cursors.items()
        }
        self.found: list[ReplacedSource] = []

    def check(self, table: SourceTable) -> ReplacedSource | None:
        """Whether `table`'s source was replaced behind its cursor (also kept in `found`);
        None for a table without a stored cursor. Raises what its scan raised."""
        if table not in self._rows_before:
            return None
        behind, newest = self._rows_before[table].result()
        cursor, _ = self._cursors[table]
        problem = _judge(self._conn, self._warehouse, table, cursor, behind, newest)
        if problem is not None:
            self.found.append(problem)
        return problem

    def stop(self) -> None:
        """End the scans still to run or running (the sync failed or was interrupted), and the
        thread."""
        scans = self._rows_before.values()
        for future in scans:
            future.cancel()  # not started: never will be
        while not all(future.done() for future in scans):
            # cancelled again if it had not reached the server yet when cancelled last
            self._scans.cancel()
            wait(scans, timeout=0.1)
        self._pool.shutdown()


@contextmanager
def replaced_checks(
    dsn: str,
    conn: psycopg2.extensions.connection,
    warehouse: Warehouse,
    cursors: dict[SourceTable, tuple[datetime, datetime]],
) -> Iterator[ReplacedChecks | None]:
    """`ReplacedChecks` for `cursors`, on a second connection that imports `conn`'s snapshot
    (it must be a REPEATABLE READ transaction); None when no table has a cursor yet."""
    if not cursors:
        yield None
        return
    with conn.cursor() as cur:
        cur.execute("select pg_export_snapshot()")
        snapshot = cur.fetchone()[0]
    with server.connect_to(dsn) as scans:
        scans.set_session(
            isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True
        )
        use_snapshot(scans, snapshot)
        checks = ReplacedChecks(conn, scans, warehouse, cursors)
        try:
            yield checks
        finally:
            checks.stop()


def _judge(
    conn: psycopg2.extensions.connection,
    warehouse: Warehouse,
    table: SourceTable,
    cursor: datetime,
    behind: int,
    newest_in_source: datetime | None,
) -> ReplacedSource | None:
    """The two signs of the module docstring, given the scan's rows before the read bound and
    newest cursor value."""
    exists = warehouse.table_kind("raw", table.raw_name) is not None
    raw_rows = 0
    if exists:
        relation = warehouse.relation("raw", table.raw_name)
        raw_rows = int(warehouse.fetch_all(f"select count(*) from {relation}")[0][0])
    if behind > raw_rows:
        return ReplacedSource(
            table,
            f"the source holds {behind:,} rows dated before the sync cursor"
            f" ({cursor.isoformat(sep=' ')}) but raw has only {raw_rows:,}",
        )
    if not exists or newest_in_source is None:
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
