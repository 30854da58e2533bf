"""Tables shaped like the ones Airbyte's destination-bigquery writes, for the Airbyte views tests.

A final table of an `append_dedup` stream holds the source columns (typed) plus
`_airbyte_raw_id`, `_airbyte_extracted_at`, `_airbyte_meta` (JSON with `sync_id` and `changes`)
and `_airbyte_generation_id`, and is named after the stream (`countryregion`). The source
columns come from the DDL in `sql/source/`, as the raw contract's do.
"""

from __future__ import annotations

from pathlib import Path

import sqlglot

from adventure_elt.catalog import SourceTable
from adventure_elt.transform.schema import raw_columns

REPO = Path(__file__).resolve().parents[1]
LOADER_COLUMNS = ("_extracted_at", "_dlt_load_id", "_dlt_id", "_is_deleted")
AIRBYTE_TYPES = {
    "_airbyte_raw_id": "STRING",
    "_airbyte_extracted_at": "TIMESTAMP",
    "_airbyte_meta": "JSON",
    "_airbyte_generation_id": "INT64",
}
# DuckDB type of the raw contract (transform/schema.py) → the BigQuery type Airbyte would write.
BIGQUERY_TYPES = {
    "BIGINT": "INT64",
    "DECIMAL(38,9)": "NUMERIC",
    "BOOLEAN": "BOOL",
    "BLOB": "STRING",  # Airbyte sends bytea as base64 text
    "TIMESTAMP": "DATETIME",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
    "DATE": "DATE",
    "DOUBLE": "FLOAT64",
    "VARCHAR": "STRING",
}
SYNC_ID = 42


def contract_columns(table: SourceTable) -> list[str]:
    """The raw contract's columns of a table: its source columns, then the loader columns."""
    return list(raw_columns(REPO / "sql")[f"raw.{table.raw_name}"])


def source_columns(table: SourceTable) -> dict[str, str]:
    """Source column → BigQuery type, as Airbyte types them."""
    columns = raw_columns(REPO / "sql")[f"raw.{table.raw_name}"]
    return {c: BIGQUERY_TYPES[t] for c, t in columns.items() if c not in LOADER_COLUMNS}


def create_airbyte_table(table: SourceTable, dataset: str, dialect: str = "bigquery") -> str:
    """`create or replace table <dataset>.<table name>` with the source and Airbyte columns."""
    columns = {**source_columns(table), **AIRBYTE_TYPES}
    body = ", ".join(f"{name} {kind}" for name, kind in columns.items())
    sql = f"create or replace table `{dataset}`.`{table.name}` ({body})"
    return sqlglot.transpile(sql, read="bigquery", write=dialect)[0]


def airbyte_columns_sql(raw_id: str = "_dlt_id", extracted_at: str = "_extracted_at") -> str:
    """The select list that adds Airbyte's four columns, e.g. to reshape a raw table."""
    meta = f"""json '{{"sync_id": {SYNC_ID}, "changes": []}}'"""
    return (
        f"{raw_id} as _airbyte_raw_id, {extracted_at} as _airbyte_extracted_at, "
        f"{meta} as _airbyte_meta, 1 as _airbyte_generation_id"
    )
