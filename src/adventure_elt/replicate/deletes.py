"""Delete detection: remove (or flag) raw rows whose primary key is gone from the source.

Cursor replication on `modifieddate` never sees a hard delete: the row simply stops appearing.
`detect_deletes` fetches the table's primary keys from PostgreSQL as Arrow (`COPY … TO STDOUT`
parsed by pyarrow's multi-threaded CSV reader, so 1.2 million order-line keys take about a
second), stages them for the warehouse (`Warehouse.stage`: registered in-process on DuckDB, an
expiring scratch table on BigQuery) and anti-joins the raw table against them in one DML
statement, inside a transaction where the engine has them.

With `soft=True` the rows stay and get `_is_deleted = true` (the column is added, default false,
the first time; rows already there may read NULL, which every reader treats as false).
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg2.extensions

from adventure_elt.catalog import DELETED_COLUMN, SourceTable
from adventure_elt.errors import WarehouseError, first_line
from adventure_elt.replicate.extract import source_keys
from adventure_elt.warehouse import Warehouse
from adventure_elt.warehouse.base import RAW_LAYER


def raw_columns(warehouse: Warehouse, table: SourceTable) -> dict[str, str]:
    """The raw table's columns → the engine's type names (DuckDB `DECIMAL(38,9)`, BigQuery
    `NUMERIC(38,9)`); empty when it is missing."""
    return warehouse.column_types(RAW_LAYER, table.raw_name)


def key_match(table: SourceTable, left: str, right: str, quote_name: Callable[[str], str]) -> str:
    """`left.k1 = right.k1 and …` over the table's primary key.

    Args:
        quote_name: how the engine quotes an identifier (`Warehouse.quote`).

    >>> from adventure_elt.catalog import get_table
    >>> key_match(get_table("sales.salesorderdetail"), "k", "r", lambda n: f'"{n}"')
    'k."salesorderid" = r."salesorderid" and k."salesorderdetailid" = r."salesorderdetailid"'
    """
    return " and ".join(
        f"{left}.{quote_name(k)} = {right}.{quote_name(k)}" for k in table.primary_key
    )


def deletion_statement(raw: str, gone: str, flag: str | None) -> str:
    """The one DML statement removing raw rows (alias `r`) for which `gone` holds, or, given
    the quoted `flag` column, setting it on those not flagged yet.

    >>> deletion_statement("raw.t", "not exists (select 1 from k where k.id = r.id)", None)
    'delete from raw.t as r where not exists (select 1 from k where k.id = r.id)'
    """
    if flag is not None:
        return f"update {raw} as r set {flag} = true where not coalesce(r.{flag}, false) and {gone}"
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
        warehouse: the warehouse holding `raw.<schema>_<table>`.
        table: the catalog table to check.
        soft: keep the rows and set `_is_deleted = true` instead of deleting them; the column is
            added (BOOLEAN, default false) when missing. Rows already flagged are not counted.

    Returns:
        Rows deleted (hard) or newly flagged (soft); 0 when the raw table does not exist yet.

    Raises:
        WarehouseError: the raw table lacks a primary-key column, or the warehouse refused the
            statement.
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
    raw = warehouse.relation(RAW_LAYER, table.raw_name)
    flag = warehouse.quote(DELETED_COLUMN) if soft else None
    try:
        staging = warehouse.stage(keys, RAW_LAYER, f"source_keys_{table.raw_name}")
        with staging as staged, warehouse.transaction():
            if soft:
                warehouse.add_flag_column(RAW_LAYER, table.raw_name, DELETED_COLUMN)
            match = key_match(table, "k", "r", warehouse.quote)
            gone = f"not exists (select 1 from {staged} as k where {match})"
            return warehouse.execute_dml(deletion_statement(raw, gone, flag))
    except WarehouseError:
        raise
    except Exception as exc:  # the engine's own error: one line naming the table
        raise WarehouseError(
            f"delete detection on raw.{table.raw_name} failed in the warehouse: {first_line(exc)}"
        ) from None
