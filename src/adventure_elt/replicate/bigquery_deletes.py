"""Delete detection's BigQuery side: stage the source's keys next to raw, then one DML statement.

BigQuery cannot read an Arrow table living in this process, so the source's primary keys travel
to it the way every other Arrow upload does (`Warehouse.append`: a Parquet file through a free
load job with a resumable upload) into a scratch table `_source_keys_<table>_<random>` in the
raw dataset. The scratch table is created first with an explicit schema and a one-day
expiration, so a run killed half-way leaves nothing behind for long. One
`DELETE … WHERE NOT EXISTS` (or, soft, `UPDATE … SET _is_deleted = true`) then anti-joins the
raw table against it — a single DML statement is atomic in BigQuery — and the scratch table is
dropped.

Soft mode adds `_is_deleted BOOL` the first time, with default false for rows loaded later. Rows
already in the table read NULL there (BigQuery fills no default into existing rows), which every
reader treats as "not deleted" (`coalesce(_is_deleted, false)`), as on DuckDB.
"""

from __future__ import annotations

import uuid

import pyarrow as pa

from adventure_elt.catalog import DELETED_COLUMN, SourceTable
from adventure_elt.errors import WarehouseError, first_line
from adventure_elt.replicate.deletes import RAW_LAYER, deletion_statement, key_match
from adventure_elt.warehouse import BigQueryWarehouse, bigquery_quote

SCRATCH_EXPIRY = "interval 1 day"  # how long a scratch key table outlives a killed run


def key_table_ddl(relation: str, keys: pa.Schema) -> str:
    """`CREATE TABLE` of the scratch key table: one column per key column, expiring in a day.

    >>> key_table_ddl("`p.d.k`", pa.schema([("salesorderid", pa.int64())]))
    'create table `p.d.k` (`salesorderid` INT64) options (expiration_timestamp = timestamp_add(current_timestamp(), interval 1 day))'
    """  # noqa: E501
    columns = ", ".join(f"{bigquery_quote(f.name)} {_bigquery_type(f.type)}" for f in keys)
    expiry = f"timestamp_add(current_timestamp(), {SCRATCH_EXPIRY})"
    return f"create table {relation} ({columns}) options (expiration_timestamp = {expiry})"


def delete_in_bigquery(
    warehouse: BigQueryWarehouse,
    table: SourceTable,
    keys: pa.Table,
    *,
    soft: bool,
    has_flag: bool,
) -> int:
    """Remove (or flag) the rows of `raw.<schema>_<table>` whose key is not among `keys`.

    Args:
        warehouse: the BigQuery warehouse; the raw table exists and holds the primary key.
        table: the catalog table.
        keys: every primary key the source holds, one column per key column (int64 or string).
        soft: set `_is_deleted = true` instead of deleting; rows already flagged are not counted.
        has_flag: whether the raw table has `_is_deleted` already (soft mode adds it otherwise).

    Returns:
        Rows deleted or newly flagged, from the statement's DML statistics.

    Raises:
        WarehouseError: BigQuery refused a statement (one line, the table named).
    """
    from google.api_core import exceptions as api_errors

    raw = warehouse.relation(RAW_LAYER, table.raw_name)
    scratch = f"_source_keys_{table.raw_name}_{uuid.uuid4().hex[:12]}"
    staged = warehouse.relation(RAW_LAYER, scratch)
    try:
        try:
            if soft and not has_flag:
                flag = bigquery_quote(DELETED_COLUMN)
                warehouse.execute(f"alter table {raw} add column if not exists {flag} bool")
                warehouse.execute(f"alter table {raw} alter column {flag} set default false")
            if keys.num_rows:
                warehouse.execute(key_table_ddl(staged, keys.schema))
                warehouse.append(RAW_LAYER, scratch, keys)
                match = key_match(table, "k", "r", quote_name=bigquery_quote)
                gone = f"not exists (select 1 from {staged} as k where {match})"
            else:
                gone = "true"  # the source table is empty: every raw row is gone
            counts = warehouse.execute_dml(deletion_statement(raw, gone, soft=soft))
        finally:
            if keys.num_rows:
                warehouse.execute(f"drop table if exists {staged}")
    except api_errors.GoogleAPICallError as exc:
        raise WarehouseError(
            f"delete detection on raw.{table.raw_name} failed in BigQuery: {first_line(exc)}"
        ) from None
    # An endpoint that reports only the total DML count has it as "updated" (execute_dml).
    return sum(counts)


def _bigquery_type(kind: pa.DataType) -> str:
    return "INT64" if pa.types.is_integer(kind) else "STRING"
