"""The PostgreSQL side of replication: columns, keys and rows as Arrow, never row by row.

Tables are read as Arrow batches through `COPY … TO STDOUT`; `copy_to_arrow` reads any query
the same way (primary keys for delete detection, row hashes for reconciliation).

PostgreSQL streams CSV; pyarrow's multi-threaded C++ reader parses it with explicit column types
taken from `information_schema`. A background thread runs the COPY and hands over chunks of
complete rows through a small queue, so memory stays bounded however big the table is.

Text and NULL stay distinct: text columns are force-quoted, so an empty quoted field is an empty
string and an unquoted empty field is NULL. bytea travels as hex and is decoded in one call per
chunk.
"""

from __future__ import annotations

import contextlib
import io
import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import psycopg2.extensions
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from adventure_elt.catalog import SourceTable
from adventure_elt.errors import ConfigError

DEFAULT_CHUNK_ROWS = 200_000
# A chunk is also cut at this many bytes, so wide rows cannot blow up memory.
_CHUNK_BYTES = 64 << 20

DECIMAL = pa.decimal128(38, 9)
_INTEGERS = {"smallint", "integer", "bigint"}
_TEXT = {"character varying", "character", "text", "uuid", "xml", "name", "citext", "json", "jsonb"}
_FLOATS = {"real", "double precision"}


@dataclass(frozen=True)
class SourceColumn:
    """One source column: its name, PostgreSQL type and the Arrow type it is read as."""

    name: str
    pg_type: str
    arrow_type: pa.DataType
    nullable: bool
    max_length: int | None = None  # of `character(n)` / `varchar(n)`

    @property
    def quoted_name(self) -> str:
        """The name quoted for PostgreSQL."""
        return quote(self.name)

    @property
    def key_type(self) -> pa.DataType:
        """The Arrow type a primary-key value travels as to the warehouse (int64 or text)."""
        return pa.int64() if self.pg_type in _INTEGERS else pa.string()

    @property
    def select_expression(self) -> str:
        """What the COPY query selects for this column (types without a CSV form become text)."""
        if self.pg_type == "bytea":
            return f"encode({self.quoted_name}, 'hex') as {self.quoted_name}"
        if self.arrow_type == pa.string() and self.pg_type not in _TEXT:
            return f"{self.quoted_name}::text as {self.quoted_name}"
        return self.quoted_name

    @property
    def csv_type(self) -> pa.DataType:
        """The type pyarrow's CSV reader produces before any post-processing."""
        return pa.string() if self.pg_type == "bytea" else self.arrow_type

    @property
    def quoted_in_csv(self) -> bool:
        """Whether COPY force-quotes it (strings: keeps '' apart from NULL)."""
        return bool(self.csv_type == pa.string())


def quote(name: str) -> str:
    """A double-quoted PostgreSQL identifier.

    >>> print(quote('odd"name'))
    "odd""name"
    """
    return '"' + name.replace('"', '""') + '"'


def arrow_type(pg_type: str) -> pa.DataType:
    """The Arrow type a PostgreSQL type is replicated as (the raw layer contract).

    >>> arrow_type("numeric")
    Decimal128Type(decimal128(38, 9))
    >>> arrow_type("timestamp without time zone")
    TimestampType(timestamp[us])
    """
    if pg_type in _INTEGERS:
        return pa.int64()
    if pg_type == "numeric":
        return DECIMAL
    if pg_type == "timestamp without time zone":
        return pa.timestamp("us")
    if pg_type == "timestamp with time zone":
        return pa.timestamp("us", tz="UTC")
    if pg_type == "date":
        return pa.date32()
    if pg_type == "boolean":
        return pa.bool_()
    if pg_type == "bytea":
        return pa.binary()
    if pg_type in _FLOATS:
        return pa.float64()
    return pa.string()


def prepare_session(conn: psycopg2.extensions.connection) -> None:
    """Make the session print values the way this module parses them: ISO dates, hex bytea."""
    with conn.cursor() as cur:
        cur.execute("set datestyle = 'ISO, YMD'; set bytea_output = 'hex'")


def source_columns(conn: psycopg2.extensions.connection, table: SourceTable) -> list[SourceColumn]:
    """The table's columns as the source has them now, in table order (empty: no such table)."""
    with conn.cursor() as cur:
        cur.execute(
            "select column_name, data_type, is_nullable, character_maximum_length"
            " from information_schema.columns"
            " where table_schema = %s and table_name = %s order by ordinal_position",
            (table.schema, table.name),
        )
        return [
            SourceColumn(
                name, pg_type, arrow_type(pg_type), nullable == "YES", None if n is None else int(n)
            )
            for name, pg_type, nullable, n in cur.fetchall()
        ]


def estimated_rows(conn: psycopg2.extensions.connection, table: SourceTable) -> int | None:
    """PostgreSQL's estimate of the table's rows, for a progress bar's total: free to read.

    `pg_class.reltuples`, which VACUUM, ANALYZE and autovacuum keep current; None when the
    table has never been estimated (-1) or looks empty, as `count(*)` would cost a scan.
    """
    with conn.cursor() as cur:
        cur.execute(
            "select reltuples from pg_class where oid = to_regclass(%s)", (table.qualified_name,)
        )
        found = cur.fetchone()
    estimate = int(found[0]) if found is not None and found[0] is not None else -1
    return estimate if estimate > 0 else None


def existing_columns(
    conn: psycopg2.extensions.connection, table: SourceTable
) -> list[SourceColumn]:
    """`source_columns`, for a table that must exist.

    Raises:
        ConfigError: the table does not exist in the source (or the login cannot see it).
    """
    columns = source_columns(conn, table)
    if not columns:
        raise ConfigError(
            f"the source has no table {table.qualified_name} (or this login cannot read it); "
            "run `adventure-elt oltp seed` or check ADVENTURE_ELT_SOURCE_DSN"
        )
    return columns


def copy_to_arrow(
    conn: psycopg2.extensions.connection, query: str, columns: dict[str, pa.DataType]
) -> pa.Table:
    """Run `query` through `COPY … TO STDOUT` and parse the CSV into an Arrow table.

    Args:
        conn: source connection; the COPY runs in its current transaction.
        query: a SELECT returning exactly `columns`, in that order.
        columns: result column names and their Arrow types (NULLs only as unquoted empties).
    """
    buffer = io.BytesIO()
    with conn.cursor() as cur:
        cur.copy_expert(f"copy ({query}) to stdout with (format csv)", buffer)
    schema = pa.schema(list(columns.items()))
    if buffer.tell() == 0:
        return schema.empty_table()
    buffer.seek(0)
    table: pa.Table = pa_csv.read_csv(
        buffer,
        read_options=pa_csv.ReadOptions(column_names=list(columns), block_size=8 << 20),
        # PostgreSQL writes NULL as a bare empty field and '' quoted. Only that is NULL: pyarrow's
        # default NULL spellings would turn Namibia's country code 'NA' into NULL.
        convert_options=pa_csv.ConvertOptions(
            column_types=columns,
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    return table


def source_keys(conn: psycopg2.extensions.connection, table: SourceTable) -> pa.Table:
    """All primary keys of a source table as an Arrow table (one column per key column)."""
    types = {c.name: c.key_type for c in existing_columns(conn, table)}
    missing = [k for k in table.primary_key if k not in types]
    if missing:
        raise ConfigError(
            f"source table {table.qualified_name} has no primary-key column {missing[0]!r}; "
            "the source schema does not match the catalog"
        )
    keys = ", ".join(quote(k) for k in table.primary_key)
    query = f"select {keys} from {quote(table.schema)}.{quote(table.name)}"
    return copy_to_arrow(conn, query, {k: types[k] for k in table.primary_key})


def copy_query(
    table: SourceTable, columns: Sequence[SourceColumn], since: datetime | None = None
) -> str:
    """The `COPY … TO STDOUT` statement reading `columns`, rows with cursor >= `since`."""
    select = ", ".join(c.select_expression for c in columns)
    where = ""
    if since is not None:
        where = f" where {table.cursor} >= '{since.isoformat(sep=' ')}'::timestamp"
    quoted = [c.quoted_name for c in columns if c.quoted_in_csv]
    force = f", force_quote ({', '.join(quoted)})" if quoted else ""
    return (
        f"copy (select {select} from {table.qualified_name}{where})"
        f" to stdout with (format csv, header false{force})"
    )


def read_batches(
    conn: psycopg2.extensions.connection,
    table: SourceTable,
    columns: Sequence[SourceColumn],
    since: datetime | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Iterator[pa.Table]:
    """Yield the table's rows (cursor >= `since`) as Arrow tables of at most `chunk_rows` rows.

    Runs in the caller's transaction on `conn`; the caller sets the isolation level.
    """
    query = copy_query(table, columns, since)
    options = _csv_options(columns)
    for chunk in _copy_chunks(conn, query, chunk_rows):
        parsed = pa_csv.read_csv(pa.py_buffer(chunk), *options)
        yield _finish(parsed, columns)


def _csv_options(
    columns: Sequence[SourceColumn],
) -> tuple[pa_csv.ReadOptions, pa_csv.ParseOptions, pa_csv.ConvertOptions]:
    names = [c.name for c in columns]
    read = pa_csv.ReadOptions(column_names=names, block_size=4 << 20)
    # Quoted fields may hold newlines (comments, XML documents).
    parse = pa_csv.ParseOptions(newlines_in_values=True)
    convert = pa_csv.ConvertOptions(
        column_types={c.name: c.csv_type for c in columns},
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
        true_values=["t"],
        false_values=["f"],
    )
    return read, parse, convert


def _finish(parsed: pa.Table, columns: Sequence[SourceColumn]) -> pa.Table:
    """Decode the hex of bytea columns; everything else is already in its final type."""
    for column in columns:
        if column.pg_type == "bytea":
            index = parsed.schema.get_field_index(column.name)
            decoded = hex_to_binary(parsed.column(index).combine_chunks())
            parsed = parsed.set_column(index, pa.field(column.name, pa.binary()), decoded)
    return parsed


def hex_to_binary(values: pa.Array) -> pa.Array:
    """Decode an Arrow string array of hex digits into binary, in one pass over the buffer.

    >>> hex_to_binary(pa.array(["0aff", None, ""])).to_pylist()
    [b'\\n\\xff', None, b'']
    """
    values = pc.cast(values, pa.string())
    if len(values) == 0:
        return pa.array([], pa.binary())
    validity, offsets_buffer, data = values.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[
        values.offset : values.offset + len(values) + 1
    ]
    start, end = int(offsets[0]), int(offsets[-1])
    decoded = bytes.fromhex(bytes(memoryview(data)[start:end]).decode("ascii")) if data else b""
    new_offsets = ((offsets - start) // 2).astype(np.int32)
    if values.offset and validity is not None:
        # The validity bitmap is shared with an offset slice; rebuild it from scratch.
        validity = pc.is_valid(values).buffers()[1]
    return pa.Array.from_buffers(
        pa.binary(),
        len(values),
        [validity, pa.py_buffer(new_offsets.tobytes()), pa.py_buffer(decoded)],
        null_count=values.null_count,
    )


class _ChunkSink:
    """The file psycopg2 writes COPY output to: one `write` per row, cut into row-aligned chunks."""

    def __init__(self, out: queue.Queue[Any], chunk_rows: int) -> None:
        self._out = out
        self._chunk_rows = chunk_rows
        self._rows: list[bytes] = []
        self._bytes = 0

    def write(self, row: bytes) -> int:
        self._rows.append(row)
        self._bytes += len(row)
        if len(self._rows) >= self._chunk_rows or self._bytes >= _CHUNK_BYTES:
            self.flush()
        return len(row)

    def flush(self) -> None:
        if self._rows:
            self._out.put(b"".join(self._rows))
            self._rows = []
            self._bytes = 0


_DONE = object()


def _copy_chunks(
    conn: psycopg2.extensions.connection, query: str, chunk_rows: int
) -> Iterator[bytes]:
    """Run the COPY in a thread and yield its output in chunks of whole rows.

    The queue holds at most two chunks, so a slow consumer pauses the COPY instead of buffering
    the whole table. Parsing one chunk overlaps with reading the next.
    """
    chunks: queue.Queue[Any] = queue.Queue(maxsize=2)
    failure: list[BaseException] = []
    stop = threading.Event()

    def produce() -> None:
        sink = _ChunkSink(chunks, chunk_rows)
        try:
            with conn.cursor() as cur:
                cur.copy_expert(query, sink, size=1 << 20)
            sink.flush()
        except BaseException as exc:  # handed to the consumer, which re-raises it
            failure.append(exc)
        finally:
            if not stop.is_set():
                chunks.put(_DONE)

    worker = threading.Thread(target=produce, name="copy-out", daemon=True)
    worker.start()
    try:
        while (item := chunks.get()) is not _DONE:
            yield item
    finally:
        stop.set()
        if worker.is_alive():
            # The consumer stopped early (error or close): end the COPY instead of reading on.
            conn.cancel()
        # Drain so a producer blocked on a full queue can finish (or fail) and exit.
        while worker.is_alive():
            with contextlib.suppress(queue.Empty):
                chunks.get(timeout=0.1)
        worker.join()
    if failure:
        raise failure[0]
