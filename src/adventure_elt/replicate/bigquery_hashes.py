"""Reconciliation's row hashes computed in BigQuery, for a raw layer that lives there.

The same canonical text as `reconcile.duckdb_text` (see `adventure_elt.replicate.reconcile`),
spelled in BigQuery SQL: NUMERIC without trailing zeros, TIMESTAMP as UTC
`YYYY-MM-DD HH:MM:SS.ffffff`, BYTES as lower hex, NULL as U+001E, columns joined by U+001F,
then `to_hex(md5(…))`. BigQuery sends only `(key, hash)` back, as Arrow; the comparison with the
source's hashes then runs in an in-memory DuckDB like the local one.
"""

from __future__ import annotations

from adventure_elt.catalog import DELETED_COLUMN, SourceTable
from adventure_elt.replicate.deletes import RAW_LAYER
from adventure_elt.replicate.reconcile import HASH_COLUMN, _decimal_scale
from adventure_elt.warehouse import Warehouse, bigquery_quote

_NULL = "code_points_to_string([30])"  # record separator: the marker for NULL
_SEPARATOR = "code_points_to_string([31])"  # unit separator: between columns
_TIME = "'%Y-%m-%d %H:%M:%E6S'"


def bigquery_text(name: str, raw_type: str) -> str:
    """BigQuery expression rendering raw column `name` of type `raw_type` as canonical text.

    >>> bigquery_text("listprice", "NUMERIC(38,9)")
    "if(strpos(cast(`listprice` as string), '.') > 0, rtrim(rtrim(cast(`listprice` as string), '0'), '.'), cast(`listprice` as string))"
    """  # noqa: E501
    column = bigquery_quote(name)
    kind = raw_type.upper()
    if _decimal_scale(kind) is not None:  # NUMERIC(p,s) / BIGNUMERIC(p,s), as column_types says
        text = f"cast({column} as string)"
        # trailing zeros only after a decimal point: 10 stays 10, 1.50 becomes 1.5
        return f"if(strpos({text}, '.') > 0, rtrim(rtrim({text}, '0'), '.'), {text})"
    if kind == "BYTES":
        return f"to_hex({column})"
    if kind == "TIMESTAMP":
        return f"format_timestamp({_TIME}, {column}, 'UTC')"
    if kind == "DATETIME":
        return f"format_datetime({_TIME}, {column})"
    if kind == "DATE":
        return f"format_date('%Y-%m-%d', {column})"
    if kind == "STRING":
        return column
    return f"cast({column} as string)"


def hash_query(
    warehouse: Warehouse, table: SourceTable, columns: list[str], raw: dict[str, str]
) -> str:
    """The BigQuery query returning `(primary key…, _row_hash)` of every live raw row."""
    keys = ", ".join(bigquery_quote(k) for k in table.primary_key)
    texts = [bigquery_text(c, raw[c]) for c in columns] or ["''"]
    parts = ", ".join(f"coalesce({t}, {_NULL})" for t in texts)
    flag = bigquery_quote(DELETED_COLUMN)
    live = f" where not coalesce({flag}, false)" if DELETED_COLUMN in raw else ""
    return (
        f"select {keys}, to_hex(md5(array_to_string([{parts}], {_SEPARATOR}))) as {HASH_COLUMN}"
        f" from {warehouse.relation(RAW_LAYER, table.raw_name)}{live}"
    )
