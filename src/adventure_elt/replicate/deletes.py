"""Delete detection: remove (or flag) raw rows whose primary key is gone from the source.

Cursor replication on `modifieddate` never sees a hard delete: the row simply stops appearing.
`detect_deletes` fetches the table's primary keys from PostgreSQL as Arrow (`COPY … TO STDOUT`
parsed by pyarrow's multi-threaded CSV reader, so 1.2 million order-line keys take about a
second) and anti-joins the raw table against them in one statement:

- DuckDB registers the Arrow keys and runs it in one transaction;
- BigQuery gets the keys as a short-lived table loaded next to raw, see
  `adventure_elt.replicate.bigquery_deletes`.

With `soft=True` the rows stay and get `_is_deleted = true` (the column is added, default false,
the first time).

The module also holds the two small source-side helpers reconciliation shares: the source's
column list with types, and `copy_to_arrow` for any query.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg2.extensions
import pyarrow as pa
import pyarrow.csv as pa_csv

from adventure_elt.catalog import DELETED_COLUMN, SourceTable
from adventure_elt.errors import ConfigError, WarehouseError
from adventure_elt.warehouse import BigQueryWarehouse, DuckDBWarehouse, Warehouse

RAW_LAYER = "raw"

# PostgreSQL types whose keys travel as int64; every other key type travels as text.
_INTEGER_TYPES = frozenset({"smallint", "integer", "bigint"})


@dataclass(frozen=True)
class SourceColumn:
    """One column of a source table, as `information_schema.columns` describes it."""

    name: str
    data_type: str
    max_length: int | None = None

    @property
    def arrow_type(self) -> pa.DataType:
        """The Arrow type a key column travels as."""
        return pa.int64() if self.data_type in _INTEGER_TYPES else pa.string()


def quote(name: str) -> str:
    """A double-quoted SQL identifier (same syntax in PostgreSQL and DuckDB)."""
    return '"' + name.replace('"', '""') + '"'


def source_columns(conn: psycopg2.extensions.connection, table: SourceTable) -> list[SourceColumn]:
    """The source table's columns in table order.

    Raises:
        ConfigError: the table does not exist in the source (or the login cannot see it).
    """
    with conn.cursor() as cur:
        cur.execute(
            "select column_name, data_type, character_maximum_length"
            " from information_schema.columns where table_schema = %s and table_name = %s"
            " order by ordinal_position",
            (table.schema, table.name),
        )
        rows = cur.fetchall()
    if not rows:
        raise ConfigError(
            f"the source has no table {table.qualified_name} (or this login cannot read it); "
            "run `adventure-elt oltp seed` or check ADVENTURE_ELT_SOURCE_DSN"
        )
    return [SourceColumn(str(n), str(t), int(m) if m is not None else None) for n, t, m in rows]


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
    types = {c.name: c.arrow_type for c in source_columns(conn, table)}
    missing = [k for k in table.primary_key if k not in types]
    if missing:
        raise ConfigError(
            f"source table {table.qualified_name} has no primary-key column {missing[0]!r}; "
            "the source schema does not match the catalog"
        )
    keys = ", ".join(quote(k) for k in table.primary_key)
    query = f"select {keys} from {quote(table.schema)}.{quote(table.name)}"
    return copy_to_arrow(conn, query, {k: types[k] for k in table.primary_key})


def raw_columns(warehouse: Warehouse, table: SourceTable) -> dict[str, str]:
    """The raw table's columns → the engine's type names (DuckDB `DECIMAL(38,9)`, BigQuery
    `NUMERIC(38,9)`); empty when it is missing."""
    return warehouse.column_types(RAW_LAYER, table.raw_name)


def duckdb_connection(warehouse: Warehouse) -> Any:
    """The DuckDB connection under `warehouse`, to register Arrow tables on it.

    Raises:
        WarehouseError: the warehouse is not DuckDB (BigQuery stages its keys in a table
            instead, see `adventure_elt.replicate.bigquery_deletes`).
    """
    if not isinstance(warehouse, DuckDBWarehouse):
        raise WarehouseError(
            f"primary-key comparison supports the duckdb and bigquery warehouses, not "
            f"{warehouse.kind}; set ADVENTURE_ELT_WAREHOUSE to one of them"
        )
    return warehouse.connection


def key_match(
    table: SourceTable, left: str, right: str, quote_name: Callable[[str], str] = quote
) -> str:
    """`left.k1 = right.k1 and …` over the table's primary key.

    Args:
        quote_name: how the engine quotes an identifier (BigQuery uses backticks).
    """
    return " and ".join(
        f"{left}.{quote_name(k)} = {right}.{quote_name(k)}" for k in table.primary_key
    )


def deletion_statement(raw: str, gone: str, *, soft: bool) -> str:
    """The one DML statement removing (or flagging) raw rows (alias `r`) for which `gone` holds.

    >>> deletion_statement("raw.t", "not exists (select 1 from k where k.id = r.id)", soft=False)
    'delete from raw.t as r where not exists (select 1 from k where k.id = r.id)'
    """
    if soft:
        return (
            f"update {raw} as r set {DELETED_COLUMN} = true"
            f" where not coalesce(r.{DELETED_COLUMN}, false) and {gone}"
        )
    return f"delete from {raw} as r where {gone}"


def detect_deletes(
    source_conn: psycopg2.extensions.connection,
    warehouse: Warehouse,
    table: SourceTable,
    soft: bool = False,
) -> int:
    """Remove, or flag as deleted, the raw rows whose primary key no longer exists in the source.

    Args:
        source_conn: source connection (keys are read in its current transaction).
        warehouse: the warehouse holding `raw.<schema>_<table>` (DuckDB or BigQuery).
        table: the catalog table to check.
        soft: keep the rows and set `_is_deleted = true` instead of deleting them; the column is
            added (BOOLEAN, default false) when missing. Rows already flagged are not counted.

    Returns:
        Rows deleted (hard) or newly flagged (soft); 0 when the raw table does not exist yet.

    Raises:
        WarehouseError: the raw table lacks a primary-key column, the warehouse refused the
            statement, or the engine is neither DuckDB nor BigQuery.
    """
    columns = raw_columns(warehouse, table)
    if not columns:
        return 0
    absent = [k for k in table.primary_key if k not in columns]
    if absent:
        raise WarehouseError(
            f"raw.{table.raw_name} has no primary-key column {absent[0]!r}; "
            f"reload it with `adventure-elt sync --full-refresh --tables {table.qualified_name}`"
        )
    keys = source_keys(source_conn, table)
    if isinstance(warehouse, BigQueryWarehouse):
        from adventure_elt.replicate.bigquery_deletes import delete_in_bigquery

        flagged = DELETED_COLUMN in columns
        return delete_in_bigquery(warehouse, table, keys, soft=soft, has_flag=flagged)
    db = duckdb_connection(warehouse)
    view = f"_source_keys_{table.raw_name}"
    raw = warehouse.relation(RAW_LAYER, table.raw_name)
    gone = f"not exists (select 1 from {view} as k where {key_match(table, 'k', 'r')})"
    db.register(view, keys)
    try:
        db.begin()
        try:
            if soft:
                db.execute(
                    f"alter table {raw} add column if not exists {DELETED_COLUMN}"
                    " boolean default false"
                )
            row = db.execute(deletion_statement(raw, gone, soft=soft)).fetchone()
            db.commit()
        except BaseException:
            db.rollback()
            raise
    finally:
        db.unregister(view)
    return int(row[0]) if row else 0
