"""Load the real AdventureWorks CSV files (`<schema>.<table>.csv.gz`) into the source tables.

The whole load is one transaction: every file is checked first (present, header equal to the
table's columns), then the 12 tables are truncated and refilled with `COPY` in load order. Any bad
input raises `InputFileError` naming file, line and column, and leaves the database as it was.
"""

from __future__ import annotations

import csv
import gzip
import re
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import psycopg2
import psycopg2.errors
import psycopg2.extensions

from adventure_elt.catalog import TABLES, SourceTable
from adventure_elt.errors import InputFileError
from adventure_elt.oltp import schema
from adventure_elt.progress import ProgressCallback, ProgressEvent, ignore

# Large reads keep the number of round trips and progress events small.
_CHUNK = 1 << 20
# psycopg2 puts COPY's position in diag.context: "COPY address, line 5, column city: ...".
_COPY_CONTEXT = re.compile(r"COPY [^,]+, line (?P<line>\d+)(?:, column (?P<column>[^:]+))?")
_FK_DETAIL = re.compile(
    r'Key \((?P<column>[^)]+)\)=\((?P<value>.*)\) is not present in table "(?P<table>[^"]+)"'
)
_MAX_DETAIL = 200
# Errors gzip/zlib raise on a damaged or cut-off file.
_GZIP_ERRORS = (OSError, EOFError, zlib.error)


def file_name(table: SourceTable) -> str:
    """The CSV file that holds `table` (`sales.customer.csv.gz`)."""
    return f"{table.qualified_name}.csv.gz"


def load_csv(
    conn: psycopg2.extensions.connection,
    directory: Path,
    progress: ProgressCallback | None = None,
) -> dict[str, int]:
    """Replace the contents of the 12 source tables with the CSV files in `directory`.

    Creates the schema if needed. Runs in one transaction (a savepoint inside the caller's):
    on any error nothing changes.

    Args:
        conn: an open connection to the source.
        directory: folder with one `<schema>.<table>.csv.gz` per catalog table.
        progress: called with compressed bytes read per file, then the file's row count.

    Returns:
        Rows loaded per table (`schema.table` → rows), in load order.

    Raises:
        InputFileError: a file is missing, damaged or does not fit its table.
    """
    report = progress or ignore
    files = _find_files(directory)
    counts: dict[str, int] = {}
    with _all_or_nothing(conn):
        schema.create_schema(conn)
        for table, path in files:
            _check_header(conn, table, path)
        with conn.cursor() as cur:
            cur.execute("truncate " + ", ".join(t.qualified_name for t in TABLES))
        for table, path in files:
            counts[table.qualified_name] = _copy_file(conn, table, path, report)
    return counts


def _find_files(directory: Path) -> list[tuple[SourceTable, Path]]:
    if not directory.is_dir():
        raise InputFileError(
            f"{directory}: no such folder; give the folder holding the 12 "
            "<schema>.<table>.csv.gz files"
        )
    files = [(table, directory / file_name(table)) for table in TABLES]
    missing = [path.name for _, path in files if not path.is_file()]
    if missing:
        raise InputFileError(
            f"{directory}: missing {', '.join(missing)}; all 12 files are needed, nothing loaded"
        )
    return files


def _check_header(conn: psycopg2.extensions.connection, table: SourceTable, path: Path) -> None:
    """Raise unless line 1 of `path` lists exactly the table's columns, in table order."""
    try:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as text:
            first = text.readline()
    except PermissionError:
        raise InputFileError(f"{path}: cannot read the file (permission denied)") from None
    except UnicodeDecodeError:
        raise InputFileError(
            f"{path.name}: line 1: not UTF-8 text; save the file as UTF-8"
        ) from None
    except _GZIP_ERRORS as exc:
        raise _damaged(path, 1, exc) from None
    try:
        header = next(csv.reader([first]), [])
    except csv.Error as exc:  # a header field over the csv module's limit (131,072 characters)
        raise InputFileError(f"{path.name}: line 1: not a CSV header ({exc})") from None
    if header and header[0].startswith("\ufeff"):
        raise InputFileError(
            f"{path.name}: line 1: starts with a byte-order mark; save as UTF-8 without BOM"
        )
    expected = schema.table_columns(conn, table)
    if header == expected:
        return
    where = f"{path.name}: line 1: header does not match table {table.qualified_name}"
    if not header:
        raise InputFileError(f"{where}: the file is empty; expected {','.join(expected)}")
    missing = [c for c in expected if c not in header]
    unexpected = [c for c in header if c not in expected]
    parts = []
    if missing:
        parts.append(f"missing column(s) {', '.join(missing)}")
    if unexpected:
        parts.append(f"unexpected column(s) {', '.join(unexpected)}")
    if not parts:
        parts.append(f"columns out of order, expected {','.join(expected)}")
    raise InputFileError(f"{where}: {'; '.join(parts)}; nothing was loaded")


def _copy_file(
    conn: psycopg2.extensions.connection,
    table: SourceTable,
    path: Path,
    report: ProgressCallback,
) -> int:
    """COPY one gzip CSV into its table, streaming it without unpacking to disk; return rows."""
    task = f"load {table.qualified_name}"
    size = path.stat().st_size
    report(ProgressEvent(task, 0, size, "bytes"))
    with path.open("rb") as raw, gzip.GzipFile(fileobj=raw) as unpacked:
        reader = _CountingReader(
            unpacked, raw, lambda done: report(ProgressEvent(task, done, size, "bytes"))
        )
        sql = (
            f"copy {table.qualified_name} from stdin"
            " with (format csv, header true, encoding 'UTF8')"
        )
        try:
            with conn.cursor() as cur:
                cur.copy_expert(sql, reader, size=_CHUNK)
                rows = int(cur.rowcount)
        except psycopg2.Error as exc:
            # A failing read() reaches us as QueryCanceled; the real cause is kept by the reader.
            if reader.error is not None:
                raise _damaged(path, reader.lines + 1, reader.error) from None
            if isinstance(exc, psycopg2.DataError | psycopg2.IntegrityError):
                raise _bad_value(table, path, exc) from None
            raise
    report(ProgressEvent(task, rows, rows, "rows", finished=True))
    return rows


class _CountingReader:
    """A file-like object for `copy_expert`: counts lines sent, reports compressed bytes read.

    psycopg2 turns an exception in `read()` into a bare QueryCanceled, so the gzip error is kept
    here for the loader to report.
    """

    def __init__(
        self, unpacked: gzip.GzipFile, raw: IO[bytes], on_read: Callable[[int], None]
    ) -> None:
        self._unpacked = unpacked
        self._raw = raw
        self._on_read = on_read
        self.lines = 0
        self.error: BaseException | None = None

    def read(self, size: int = -1) -> bytes:
        """Return the next `size` unpacked bytes."""
        try:
            chunk = self._unpacked.read(size)
        except _GZIP_ERRORS as exc:
            self.error = exc
            raise
        self.lines += chunk.count(b"\n")
        self._on_read(self._raw.tell())
        return chunk


def _damaged(path: Path, line: int, exc: BaseException) -> InputFileError:
    reason = _one_line(str(exc)) or type(exc).__name__
    if isinstance(exc, gzip.BadGzipFile) and line == 1:
        return InputFileError(f"{path.name}: not a gzip file ({reason}); compress it with gzip")
    return InputFileError(
        f"{path.name}: line {line}: damaged gzip data ({reason}); copy or download the file again"
    )


def _bad_value(table: SourceTable, path: Path, exc: psycopg2.Error) -> InputFileError:
    """Turn PostgreSQL's COPY error into `file: line N, column C: what is wrong`."""
    diag = exc.diag
    if isinstance(exc, psycopg2.errors.ForeignKeyViolation):
        missing = _missing_reference(path, diag.message_detail or "")
        if missing is not None:
            line, column, value, target = missing
            # PostgreSQL names the referenced table without its schema; the catalog knows it.
            target = next((r for r in table.references if r.endswith(f".{target}")), target)
            return InputFileError(
                f"{path.name}: line {line}, column {column}: {value} is not in {target}"
                f" (foreign key {diag.constraint_name}); fix the file, nothing was loaded"
            )
    where = path.name
    match = _COPY_CONTEXT.search(diag.context or "")
    if match:
        # COPY counts lines from 1 including the header, exactly as the file does.
        where += f": line {match['line']}"
        column = match["column"] or diag.column_name
        if column:
            where += f", column {column}"
    elif diag.column_name:
        where += f": column {diag.column_name}"
    what = diag.message_primary or str(exc)
    if diag.message_detail:
        what += f" ({diag.message_detail})"
    return InputFileError(f"{where}: {_shorten(_one_line(what))}; fix the file, nothing was loaded")


def _missing_reference(path: Path, detail: str) -> tuple[int, str, str, str] | None:
    """Find the line of a foreign key violation: (line, column, value, referenced table).

    PostgreSQL checks foreign keys after the whole COPY, so its error has no line number; it
    names the key instead (`Key (stateprovinceid)=(9999) is not present in table "x".`). The
    file is only read again on this error path.
    """
    match = _FK_DETAIL.search(detail)
    if match is None or ", " in match["column"]:
        return None  # composite keys do not occur among the 12 tables
    column, value, target = match["column"], match["value"], match["table"]
    with gzip.open(path, "rt", encoding="utf-8", newline="") as text:
        rows = csv.reader(text)
        header = next(rows, [])
        if column not in header:
            return None
        index = header.index(column)
        for row in rows:
            if len(row) > index and row[index] == value:
                return rows.line_num, column, value, target
    return None


@contextmanager
def _all_or_nothing(conn: psycopg2.extensions.connection) -> Iterator[None]:
    """Run the block in a transaction of its own, or a savepoint in the caller's transaction.

    On an exception everything the block did is undone and the connection stays usable.
    """
    if conn.autocommit:
        conn.autocommit = False
        try:
            with conn:
                yield
        finally:
            conn.autocommit = True
        return
    with conn.cursor() as cur:
        cur.execute("savepoint adventure_elt_load_csv")
    try:
        yield
    except BaseException:
        try:
            with conn.cursor() as cur:
                cur.execute("rollback to savepoint adventure_elt_load_csv")
                cur.execute("release savepoint adventure_elt_load_csv")
        except psycopg2.Error:
            pass  # a broken connection rolls back by itself; keep the original error
        raise
    with conn.cursor() as cur:
        cur.execute("release savepoint adventure_elt_load_csv")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"
