"""Reconciliation: does the raw layer hold exactly the source's rows, with the same content?

Per table it counts source rows, warehouse rows (soft-deleted rows excluded), keys missing from
the warehouse, keys the warehouse has but the source does not, keys present twice, and rows whose
content differs. Content is compared through an md5 per row that both engines compute in SQL:

- each replicated column is rendered as *canonical text*, the same on both sides whatever the
  storage type (PostgreSQL `numeric` 1.50 and DuckDB `DECIMAL(38,9)` 1.500000000 both become
  `1.5`; timestamps `YYYY-MM-DD HH:MM:SS.ffffff`; booleans `true`/`false`; bytea/BLOB lower hex;
  `char(n)` keeps its padding; NULL becomes the control character 0x1E, so it never equals '');
- the texts are joined with the control character 0x1F and hashed (md5 of the UTF-8 bytes).

Each side first sends one row per table, its *fingerprint*: the row count and the sums of two
8-hex-digit slices of the row hashes (`Warehouse.hash_slice`). Equal fingerprints mean the
same rows: two different sets of rows agree by chance with a probability of about 2⁻⁶⁴ per
table (each hash covers the key, so a duplicate or a moved value changes them). Only a table
whose fingerprints differ is compared row by row: PostgreSQL sends `(key, hash)` as Arrow
through `COPY … TO STDOUT`; the warehouse hashes its raw table in its own SQL
(`Warehouse.canonical_text` / `row_hash`) and sends `(key, hash)` back as Arrow; an in-memory
DuckDB full-outer-joins the two on the key. A clean table thus costs one aggregate query on
each side instead of every row's hash sent across (bench/bench_reconcile.py: 0.55× the time at
scale 10 on DuckDB).

Columns compared are the source columns that also exist in raw; raw-only metadata
(`_extracted_at`, `_dlt_*`, `_is_deleted`) is ignored. A raw column the source no longer has
(dropped there) makes the table unclean: raw looks complete but holds a column nobody fills any
more.

Numbers are compared at the raw column's scale (DECIMAL(38,9) keeps 9 decimals), as that is all
the raw layer can hold.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg2.extensions
import pyarrow as pa

from adventure_elt.catalog import DELETED_COLUMN, SourceTable, select_tables
from adventure_elt.errors import CheckFailedError, ConfigError, WarehouseError
from adventure_elt.oltp import server
from adventure_elt.progress import ProgressCallback, ProgressEvent, ignore
from adventure_elt.replicate.deletes import key_match, raw_columns
from adventure_elt.replicate.drift import is_metadata
from adventure_elt.replicate.extract import SourceColumn, copy_to_arrow, existing_columns, quote
from adventure_elt.settings import Settings
from adventure_elt.warehouse import Warehouse, decimal_scale, open_warehouse
from adventure_elt.warehouse.base import RAW_LAYER

HASH_COLUMN = "_row_hash"
HASH_SLICES = (1, 9)  # the fingerprint sums hash digits 1–8 and 9–16
EXAMPLES = 3  # keys shown per kind of difference

_NULL = "chr(30)"  # record separator: the marker for NULL (`warehouse.NULL_MARK`)
_SEPARATOR = "chr(31)"  # unit separator: between columns (`warehouse.SEPARATOR`)
_TIME_PG = "'YYYY-MM-DD HH24:MI:SS.US'"


@dataclass(frozen=True)
class TableReconciliation:
    """How one raw table compares with its source table.

    Args:
        table: `schema.table`.
        source_rows: rows in the source.
        warehouse_rows: rows in raw, not counting rows flagged `_is_deleted`.
        missing_keys: keys in the source but not in raw (not synced yet, or flagged deleted).
        extra_keys: keys in raw (not flagged deleted) that the source no longer has.
        differing_rows: keys on both sides whose replicated columns differ.
        duplicate_keys: extra raw rows beyond one per key.
        dropped_columns: raw columns the source no longer has.
        columns_compared: the columns the content hash covers.
        in_warehouse: False when the raw table does not exist.
        examples: up to three keys per kind (`missing`, `extra`, `differing`), as column → value.
        seconds: time the comparison took.
        compared_by: `fingerprint` when both sides' fingerprints agreed (no row was fetched),
            `rows` when every row's hash was compared.
    """

    table: str
    source_rows: int
    warehouse_rows: int
    missing_keys: int
    extra_keys: int
    differing_rows: int
    duplicate_keys: int = 0
    dropped_columns: tuple[str, ...] = ()
    columns_compared: tuple[str, ...] = ()
    in_warehouse: bool = True
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    seconds: float = 0.0
    compared_by: str = "rows"

    @property
    def clean(self) -> bool:
        """True when raw holds exactly the source's rows."""
        return not (
            self.missing_keys
            or self.extra_keys
            or self.differing_rows
            or self.duplicate_keys
            or self.dropped_columns
        )

    def describe(self) -> str:
        """What differs, in a few words (`2 missing keys, 1 differing row`), or `clean`."""
        if not self.in_warehouse:
            return "not in the warehouse"
        parts = [
            _plural(self.missing_keys, "missing key"),
            _plural(self.extra_keys, "extra key"),
            _plural(self.differing_rows, "differing row"),
            _plural(self.duplicate_keys, "duplicate key"),
        ]
        if self.dropped_columns:
            parts.append(f"column(s) {', '.join(self.dropped_columns)} dropped from the source")
        return ", ".join(p for p in parts if p) or "clean"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what `reconcile --json` prints per table)."""
        return {
            "table": self.table,
            "source_rows": self.source_rows,
            "warehouse_rows": self.warehouse_rows,
            "missing_keys": self.missing_keys,
            "extra_keys": self.extra_keys,
            "differing_rows": self.differing_rows,
            "duplicate_keys": self.duplicate_keys,
            "dropped_columns": list(self.dropped_columns),
            "clean": self.clean,
            "in_warehouse": self.in_warehouse,
            "columns_compared": list(self.columns_compared),
            "examples": self.examples,
            "seconds": round(self.seconds, 3),
            "compared_by": self.compared_by,
        }


def reconcile(
    settings: Settings,
    tables: str | Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
) -> list[TableReconciliation]:
    """Compare every (or the named) raw table with its source table.

    The source is read in one read-only REPEATABLE READ transaction, so all tables are compared
    against the same snapshot.

    Args:
        settings: where the source and the warehouse are.
        tables: `schema.table` names (list or comma-separated); None = all 12.
        progress: called once per table.

    Returns:
        One result per table, in load order. Check `.clean` on each.

    Raises:
        WarehouseError: the warehouse does not exist yet (run `sync` first).
        SourceUnreachableError: the source cannot be reached.
    """
    report = progress or ignore
    chosen = select_tables(tables if tables is None or isinstance(tables, str) else list(tables))
    results = []
    with open_warehouse(settings, read_only=True) as warehouse, server.connect(settings) as conn:
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        for number, table in enumerate(chosen):
            report(ProgressEvent("reconcile", number, len(chosen), table.qualified_name))
            results.append(reconcile_table(conn, warehouse, table))
        report(ProgressEvent("reconcile", len(chosen), len(chosen), "done", finished=True))
    return results


def reconcile_table(
    source_conn: psycopg2.extensions.connection, warehouse: Warehouse, table: SourceTable
) -> TableReconciliation:
    """Compare one raw table with its source table (see the module docstring for how)."""
    started = time.perf_counter()
    source = existing_columns(source_conn, table)
    raw = raw_columns(warehouse, table)
    compared = [c for c in source if c.name in raw and not is_metadata(c.name)]
    names = {c.name for c in source}
    dropped = tuple(c for c in raw if c not in names and not is_metadata(c))
    types = {c.name: c.key_type for c in source}
    if any(k not in types for k in table.primary_key):
        raise ConfigError(
            f"source table {table.qualified_name} lacks its primary key"
            f" ({', '.join(table.primary_key)}); the source schema does not match the catalog"
        )
    absent = [k for k in table.primary_key if raw and k not in raw]
    if absent:
        raise WarehouseError(
            f"raw.{table.raw_name} has no primary-key column {absent[0]!r}; "
            f"reload it with `adventure-elt sync --full-refresh --tables {table.qualified_name}`"
        )
    hash_query = _source_hash_query(table, compared, raw)
    hash_types = {**{k: types[k] for k in table.primary_key}, HASH_COLUMN: pa.string()}
    if not raw:
        hashes = copy_to_arrow(source_conn, hash_query, hash_types)
        return TableReconciliation(
            table=table.qualified_name,
            source_rows=hashes.num_rows,
            warehouse_rows=0,
            missing_keys=hashes.num_rows,
            extra_keys=0,
            differing_rows=0,
            in_warehouse=False,
            examples=_first_keys(hashes, table),
            seconds=time.perf_counter() - started,
        )
    examples: dict[str, list[dict[str, Any]]] = {}
    fingerprint = _source_fingerprint(source_conn, hash_query)
    if fingerprint == _warehouse_fingerprint(warehouse, table, compared, raw):
        compared_by, source_rows = "fingerprint", fingerprint[0]
        # equal fingerprints: raw holds the source's rows, each once
        counts = dict(warehouse=source_rows, missing=0, extra=0, differing=0, duplicates=0)
    else:
        hashes = copy_to_arrow(source_conn, hash_query, hash_types)
        compared_by, source_rows = "rows", hashes.num_rows
        counts, examples = _compare(warehouse, table, compared, raw, hashes)
    return TableReconciliation(
        table=table.qualified_name,
        source_rows=source_rows,
        warehouse_rows=counts["warehouse"],
        missing_keys=counts["missing"],
        extra_keys=counts["extra"],
        differing_rows=counts["differing"],
        duplicate_keys=counts["duplicates"],
        dropped_columns=dropped,
        columns_compared=tuple(c.name for c in compared),
        examples=examples,
        seconds=time.perf_counter() - started,
        compared_by=compared_by,
    )


def require_clean(results: Sequence[TableReconciliation]) -> None:
    """Raise CheckFailedError listing the tables that differ (what `reconcile` exits 1 with).

    Args:
        results: what `reconcile` returned.
    """
    differing = [r for r in results if not r.clean]
    if differing:
        listed = ", ".join(f"{r.table} ({r.describe()})" for r in differing)
        raise CheckFailedError(
            f"reconcile found differences in {len(differing)} of {len(results)} tables: {listed};"
            " run `adventure-elt sync --detect-deletes`, or `--full-refresh --tables <table>`"
        )


# ----------------------------------------------------------------------------- canonical text


def postgres_text(column: SourceColumn, raw_type: str) -> str:
    """PostgreSQL expression rendering `column` as canonical text (NULL stays NULL).

    >>> import pyarrow as pa
    >>> postgres_text(SourceColumn("listprice", "numeric", pa.string(), True), "DECIMAL(38,9)")
    'trim_scale(round("listprice", 9))::text'
    >>> postgres_text(SourceColumn("class", "character", pa.string(), True, 2), "VARCHAR")
    'rpad("class"::text, 2)'
    """
    name = quote(column.name)
    kind = column.pg_type
    if kind == "numeric":
        scale = decimal_scale(raw_type)
        # Compare at the precision raw can hold; trim_scale drops trailing zeros (1.50 → 1.5).
        return (
            f"trim_scale(round({name}, {scale}))::text"
            if scale is not None
            else (f"trim_scale({name})::text")
        )
    if kind == "character":
        # char(n)::text strips the padding, raw keeps it: pad back to the declared width.
        return f"rpad({name}::text, {column.max_length or 1})"
    if kind == "timestamp without time zone":
        return f"to_char({name}, {_TIME_PG})"
    if kind == "timestamp with time zone":
        return f"to_char({name} at time zone 'UTC', {_TIME_PG})"
    if kind == "date":
        return f"to_char({name}, 'YYYY-MM-DD')"
    if kind == "bytea":
        return f"encode({name}, 'hex')"
    return f"{name}::text"


def _postgres_row_hash(texts: list[str]) -> str:
    """md5 over the canonical texts, NULL-marked and separator-joined."""
    marked = ", ".join(f"coalesce({t}, {_NULL})" for t in texts)
    # PostgreSQL hashes its server encoding's bytes; convert so non-UTF-8 servers agree too.
    return f"md5(convert_to(concat_ws({_SEPARATOR}, {marked}), 'UTF8'))"


def _source_hash_query(
    table: SourceTable, compared: list[SourceColumn], raw: dict[str, str]
) -> str:
    keys = ", ".join(quote(k) for k in table.primary_key)
    texts = [postgres_text(c, raw[c.name]) for c in compared] or ["''"]
    return (
        f"select {keys}, {_postgres_row_hash(texts)} as {quote(HASH_COLUMN)}"
        f" from {quote(table.schema)}.{quote(table.name)}"
    )


def _source_fingerprint(conn: psycopg2.extensions.connection, hash_query: str) -> tuple[int, ...]:
    """(rows, sum of each hash slice) of the source's `(key, hash)` rows."""
    with conn.cursor() as cur:
        cur.execute(_fingerprint_sql(hash_query, quote(HASH_COLUMN), _postgres_hash_slice))
        row = cur.fetchone()
    return tuple(int(v) for v in row) if row else ()


def _warehouse_fingerprint(
    warehouse: Warehouse, table: SourceTable, compared: list[SourceColumn], raw: dict[str, str]
) -> tuple[int, ...]:
    """The same fingerprint of raw's live rows, computed in the warehouse's SQL."""
    query = warehouse_hash_query(warehouse, table, compared, raw)
    hashed = warehouse.quote(HASH_COLUMN)
    rows = warehouse.fetch_all(_fingerprint_sql(query, hashed, warehouse.hash_slice))
    return tuple(int(v) for v in rows[0]) if rows else ()


def _fingerprint_sql(hash_query: str, hashed: str, hash_slice: Callable[[str, int], str]) -> str:
    """The row count and the sum of each of `HASH_SLICES` over a `(key…, hash)` query."""
    sums = ", ".join(f"coalesce(sum({hash_slice(hashed, start)}), 0)" for start in HASH_SLICES)
    return f"select count(*), {sums} from ({hash_query}) as hashed"


def _postgres_hash_slice(hash_sql: str, start: int) -> str:
    """PostgreSQL's `Warehouse.hash_slice`: 8 hex digits as an unsigned number."""
    return f"('x' || substr({hash_sql}, {start}, 8))::bit(32)::bigint"


def warehouse_hash_query(
    warehouse: Warehouse, table: SourceTable, compared: list[SourceColumn], raw: dict[str, str]
) -> str:
    """The warehouse's query returning `(primary key…, _row_hash)` of every live raw row."""
    q = warehouse.quote
    keys = ", ".join(q(k) for k in table.primary_key)
    texts = [warehouse.canonical_text(c.name, raw[c.name]) for c in compared] or ["''"]
    flag = q(DELETED_COLUMN)
    live = f" where not coalesce({flag}, false)" if DELETED_COLUMN in raw else ""
    return (
        f"select {keys}, {warehouse.row_hash(texts)} as {q(HASH_COLUMN)}"
        f" from {warehouse.relation(RAW_LAYER, table.raw_name)}{live}"
    )


# ----------------------------------------------------------------------------- comparison


def _compare(
    warehouse: Warehouse,
    table: SourceTable,
    compared: list[SourceColumn],
    raw: dict[str, str],
    hashes: pa.Table,
) -> tuple[dict[str, int], dict[str, list[dict[str, Any]]]]:
    """Counts (`warehouse`, `missing`, `extra`, `differing`, `duplicates`) and example keys.

    The warehouse sends its `(key, hash)` pairs as Arrow; an in-memory DuckDB (a local
    compute engine here, not the warehouse) compares them with the source's.
    """
    import duckdb

    db = duckdb.connect()
    db.register(
        "_fetched_warehouse_hashes",
        warehouse.fetch_arrow(warehouse_hash_query(warehouse, table, compared, raw)),
    )
    hashes_query = "select * from _fetched_warehouse_hashes"
    source = f"_source_hashes_{table.raw_name}"
    diff = f"_reconcile_{table.raw_name}"
    hashed = f"_warehouse_hashes_{table.raw_name}"
    keys = [quote(k) for k in table.primary_key]
    either = ", ".join(f"coalesce(s.{k}, w.{k}) as {k}" for k in keys)
    db.register(source, hashes)
    try:
        db.execute(f"create or replace temp table {hashed} as {hashes_query}")
        db.execute(
            f"create or replace temp table {diff} as"
            f" select case when w._in is null then 'missing'"
            f" when s._in is null then 'extra' else 'differing' end as kind, {either}"
            f" from (select *, true as _in from {source}) as s"
            f" full outer join (select *, true as _in from {hashed}) as w"
            f" on {key_match(table, 's', 'w', quote)}"
            f" where w._in is null or s._in is null or s.{HASH_COLUMN} <> w.{HASH_COLUMN}"
        )
        totals = db.execute(
            f"select count(*), count(*) - count(distinct ({', '.join(keys)})) from {hashed}"
        ).fetchone()
        kinds = dict(db.execute(f"select kind, count(*) from {diff} group by kind").fetchall())
        sample = db.execute(
            f"select kind, {', '.join(keys)} from {diff}"
            f" qualify row_number() over (partition by kind order by {', '.join(keys)})"
            f" <= {EXAMPLES} order by kind, {', '.join(keys)}"
        ).fetchall()
    finally:
        db.execute(f"drop table if exists {diff}")
        db.execute(f"drop table if exists {hashed}")
        db.unregister(source)
        db.close()
    counts = {
        "warehouse": int(totals[0]) if totals else 0,
        "duplicates": int(totals[1]) if totals else 0,
        **{k: int(kinds.get(k, 0)) for k in ("missing", "extra", "differing")},
    }
    examples: dict[str, list[dict[str, Any]]] = {}
    for kind, *values in sample:
        examples.setdefault(str(kind), []).append(dict(zip(table.primary_key, values, strict=True)))
    return counts, examples


def _first_keys(hashes: pa.Table, table: SourceTable) -> dict[str, list[dict[str, Any]]]:
    rows = hashes.select(list(table.primary_key)).slice(0, EXAMPLES).to_pylist()
    return {"missing": rows} if rows else {}


def _plural(count: int, noun: str) -> str:
    if not count:
        return ""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"
