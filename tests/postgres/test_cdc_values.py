"""A row from the stream equals the row `sync` reads for it: same columns, types and values.

The reference is `extract.read_batches` (what `sync` loads into raw) on the same rows; the
stream's rows go through `rows_to_arrow` with the columns the Relation messages described.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import pyarrow as pa
import pytest

from adventure_elt.catalog import TABLES, SourceTable
from adventure_elt.oltp import generator, server
from adventure_elt.replicate.cdc import Batch, ChangeReader, rows_to_arrow
from adventure_elt.replicate.extract import prepare_session, read_batches, source_columns
from adventure_elt.settings import Settings
from cdc_helpers import drain, execute, open_shop, query, unique_name

pytestmark = pytest.mark.postgres


def read_like_sync(dsn: str, table: SourceTable) -> pa.Table:
    """The table as `sync` extracts it, sorted by key."""
    with server.connect_to(dsn) as conn:
        prepare_session(conn)
        columns = source_columns(conn, table)
        batches = list(read_batches(conn, table, columns))
    schema = pa.schema([pa.field(c.name, c.arrow_type) for c in columns])
    return sort(pa.Table.from_batches([b for t in batches for b in t.to_batches()], schema), table)


def streamed(batches: Iterable[Batch], table: SourceTable) -> pa.Table:
    """The table rebuilt from the stream's changes: truncates, then inserts."""
    batches = list(batches)
    rows = {}
    for batch in batches:
        for change in batch.changes_of(table):
            if change.op == "truncate":
                rows.clear()
                continue
            assert change.op == "insert" and change.key is not None and change.row is not None
            rows[tuple(change.key.values())] = change.row
    return sort(rows_to_arrow(batches[-1].columns[table], list(rows.values())), table)


def sort(table: pa.Table, source: SourceTable) -> pa.Table:
    return table.sort_by([(k, "ascending") for k in source.primary_key])


def test_every_catalog_table_streams_what_sync_reads(source_settings: Settings) -> None:
    dsn = source_settings.source_dsn
    assert dsn is not None
    with open_shop(dsn) as shop:
        with server.connect_to(dsn) as conn:
            counts = generator.seed(conn, scale=0.005, seed=4)  # truncates, then copies
        with shop.reader(max_seconds=0.2) as reader:
            batches = drain(reader, len(TABLES) + sum(counts.values()))
    assert all(counts[t.qualified_name] > 0 for t in TABLES)
    for table in TABLES:
        assert streamed(batches, table).equals(read_like_sync(dsn, table)), table.qualified_name


KINDS = """
create type public.mood as enum ('calm', 'cross');
create domain public.positive as integer check (value > 0);
create table public.kinds (
    id integer primary key,
    small smallint, big bigint, amount numeric, money_amount money, fixed decimal(8, 2),
    single real, double double precision,
    label text, code varchar(10), padded char(3),
    flag boolean, at timestamp, at_zone timestamptz, day date, clock time, span interval,
    guid uuid, doc json, docb jsonb, page xml, blob bytea,  -- pgserver has no libxml: xml NULL
    numbers integer[], mood public.mood, count public.positive
)
"""

ROWS: Sequence[str] = (
    "(1, -32768, 9223372036854775807, 123456789.123456789, 12.34, 123456.78,"
    " 1.1, 0.1, 'naïve \"quoted\", comma\nnew line', 'x', 'ab', true,"
    " '2024-02-29 23:59:59.999999', '2024-03-01 01:00:00.5+05:30', '0001-01-01',"
    " '12:30:00', '1 year 2 mons 3 days 04:05:06.7', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',"
    " '{\"a\": [1, 2]}', '{\"b\": null}', null, '\\x00ff10', '{1,NULL,3}',"
    " 'cross', 7)",
    "(2, 0, 0, -0.000000001, 0, 0, 'NaN', '-Infinity', '', '', '', false,"
    " '1999-12-31 00:00:00', '1970-01-01 00:00:00+00', '2000-01-01', '00:00:00', '0',"
    " '00000000-0000-0000-0000-000000000000', '[]', '[]', null, '\\x', '{}', 'calm', 1)",
    "(3" + ", null" * 24 + ")",
)


def test_types_beyond_the_catalog_stream_as_sync_reads_them(source_settings: Settings) -> None:
    dsn = source_settings.source_dsn
    assert dsn is not None
    kinds = SourceTable("public", "kinds", ("id",))
    slot, publication = unique_name("slot"), unique_name("pub")
    execute(dsn, KINDS, f"create publication {publication} for table public.kinds")
    query(dsn, "select pg_create_logical_replication_slot(%s, 'pgoutput')", (slot,))
    execute(dsn, *(f"insert into public.kinds values {row}" for row in ROWS))
    with ChangeReader(dsn, slot, publication, tables=[kinds], max_seconds=0.2) as reader:
        batches = drain(reader, len(ROWS))
    expected = read_like_sync(dsn, kinds)
    got = streamed(batches, kinds)
    assert got.schema == expected.schema
    for name in expected.column_names:  # column by column, for a readable failure
        assert comparable(got.column(name)) == comparable(expected.column(name)), name


def comparable(values: pa.ChunkedArray) -> list[object]:
    """Python values, NaN spelled out (NaN equals nothing, itself included)."""
    return ["NaN" if isinstance(v, float) and math.isnan(v) else v for v in values.to_pylist()]
