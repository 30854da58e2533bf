"""Views that turn the tables Airbyte writes into the raw layer contract the models read.

The Airbyte connection (see `airbyte.py`) lands each stream as a table named after the source
table (`countryregion`, no schema, no stream prefix: `connection.json` sets none) in the
destination's own dataset (`namespaceDefinition: destination` → `dataset_id`), with Airbyte's
metadata columns `_airbyte_raw_id`, `_airbyte_extracted_at`, `_airbyte_meta` and
`_airbyte_generation_id` next to the source columns. The models read `raw.<schema>_<table>`
(`<prefix>_raw` on BigQuery) with `_extracted_at`, `_dlt_load_id` and `_dlt_id`. One view per
catalog table bridges the two:

- every source column, unchanged (`* except` the Airbyte columns, so a column Airbyte adds later
  with `propagate_columns` shows up as it does after `sync`). The except list names only the
  Airbyte columns the table really has: destinations from before Airbyte's 2024 refreshes
  release write no `_airbyte_generation_id`, and BigQuery refuses `* except` of a column that
  does not exist (https://cloud.google.com/bigquery/docs/reference/standard-sql/query-syntax#select_except);
- `_airbyte_extracted_at` → `_extracted_at` (when the row was read from the source);
- `_airbyte_raw_id` → `_dlt_id` (a unique id per stored row);
- `_airbyte_meta.sync_id` → `_dlt_load_id`: Airbyte's sync (job) id, one value per sync and
  increasing across syncs, which is what dlt's load id is. It is a number written as a string,
  so compare it as a number, not as text. Destinations older than Airbyte's 2024 refreshes
  release do not write it (the column is NULL there).

Deduplication is Airbyte's: `append_dedup` keeps the latest row per primary key, so the views
only rename. Hard deletes are not seen by Airbyte's cursor mode (as for `sync` without
`--detect-deletes`).

>>> print(render_view_sql(TABLES[0], "adventure_elt_airbyte", "raw"))
create or replace view `raw`.`person_countryregion` as
select
    * except (_airbyte_raw_id, _airbyte_extracted_at, _airbyte_meta, _airbyte_generation_id),
    _airbyte_extracted_at as _extracted_at,
    json_value(_airbyte_meta, '$.sync_id') as _dlt_load_id,
    _airbyte_raw_id as _dlt_id,
    cast(null as bool) as _is_deleted
from `adventure_elt_airbyte`.`countryregion`
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from adventure_elt.catalog import DELETED_COLUMN, TABLES, SourceTable
from adventure_elt.errors import ConfigError, WarehouseError, first_line
from adventure_elt.progress import ProgressCallback, ProgressEvent
from adventure_elt.settings import Settings
from adventure_elt.warehouse import Warehouse, open_warehouse, quote_identifier

VIEWS_FILE = "raw_views.sql"
# The dataset Airbyte writes to: `dataset_id` of destination-bigquery.json (AirbyteTarget's
# default, repeated here so this module does not import the config builder).
AIRBYTE_DATASET = "adventure_elt_airbyte"
# What the committed file is rendered for: the raw dataset of the default dataset prefix.
DEFAULT_RAW_DATASET = Settings().bigquery_dataset("raw")

# The metadata columns destination-bigquery (Destinations V2 and later) adds to every final table.
AIRBYTE_COLUMNS = (
    "_airbyte_raw_id",
    "_airbyte_extracted_at",
    "_airbyte_meta",
    "_airbyte_generation_id",
)
# The ones the views read: every Destinations V2 table has them (the generation id came in 2024).
REQUIRED_AIRBYTE_COLUMNS = ("_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_meta")
# What they become: the loader columns of the raw layer contract (see transform/schema.py).
LOADER_COLUMNS = {
    "_extracted_at": "_airbyte_extracted_at",
    "_dlt_load_id": "json_value(_airbyte_meta, '$.sync_id')",
    "_dlt_id": "_airbyte_raw_id",
    # Airbyte's cursor mode never sees deletes, so no row is flagged deleted
    DELETED_COLUMN: "cast(null as bool)",
}


def airbyte_table(table: SourceTable) -> str:
    """The table Airbyte writes a stream to: the source table's name (no stream prefix)."""
    return table.name


_NAME = re.compile(r"[A-Za-z0-9_]{1,1024}")
_PROJECT = re.compile(r"[A-Za-z0-9.:_-]{1,128}")


def _relation(dataset: str, name: str, project: str | None) -> str:
    """`` `project`.`dataset`.`name` `` (or without the project), names checked first."""
    if project is not None and not _PROJECT.fullmatch(project):
        raise ConfigError(f"{project!r} is not a Google Cloud project id")
    for part in (dataset, name):
        if not _NAME.fullmatch(part):
            raise ConfigError(
                f"{part!r} is not a BigQuery dataset or table name; use letters, digits and "
                "underscores"
            )
    parts = [project, dataset, name] if project else [dataset, name]
    return ".".join(quote_identifier(part, "bigquery") for part in parts)


def render_view_sql(
    table: SourceTable,
    airbyte_dataset: str,
    raw_dataset: str,
    project: str | None = None,
    airbyte_columns: Sequence[str] = AIRBYTE_COLUMNS,
) -> str:
    """The BigQuery `create or replace view` of one catalog table, without a trailing `;`.

    Args:
        table: the catalog table.
        airbyte_dataset: where Airbyte writes (`dataset_id` of the destination).
        raw_dataset: the raw layer's dataset (`<prefix>_raw`).
        project: Google Cloud project of both datasets; None = leave names dataset-qualified
            (the project that runs the statement).
        airbyte_columns: the Airbyte columns the table has, left out of `* except`.
    """
    loaders = ",\n".join(f"    {source} as {column}" for column, source in LOADER_COLUMNS.items())
    return (
        f"create or replace view {_relation(raw_dataset, table.raw_name, project)} as\n"
        "select\n"
        f"    * except ({', '.join(airbyte_columns)}),\n"
        f"{loaders}\n"
        f"from {_relation(airbyte_dataset, airbyte_table(table), project)}"
    )


def render_raw_views(
    airbyte_dataset: str = AIRBYTE_DATASET,
    raw_dataset: str = DEFAULT_RAW_DATASET,
    tables: Sequence[SourceTable] = TABLES,
) -> str:
    """The committed `airbyte/raw_views.sql`: a header and one statement per catalog table."""
    header = (
        "-- Generated by `adventure-elt airbyte-config` from catalog.py; do not edit.\n"
        f"-- Raw layer views over the tables Airbyte writes to dataset `{airbyte_dataset}`,\n"
        f"-- for the raw dataset `{raw_dataset}`. `adventure-elt airbyte-views` runs the same\n"
        "-- statements on the configured warehouse (its project and dataset prefix).\n"
        "-- _dlt_load_id = Airbyte's sync id (_airbyte_meta.sync_id), _dlt_id = _airbyte_raw_id,\n"
        "-- _extracted_at = _airbyte_extracted_at; Airbyte's append_dedup already keeps the\n"
        "-- latest row per primary key.\n"
    )
    statements = [
        f"-- {t.qualified_name}\n{render_view_sql(t, airbyte_dataset, raw_dataset)};\n"
        for t in tables
    ]
    return header + "".join(f"\n{s}" for s in statements)


@dataclass(frozen=True)
class AppliedView:
    """One view created: the raw relation and the Airbyte table it reads."""

    view: str
    source: str


def apply_raw_views(
    settings: Settings,
    airbyte_dataset: str = AIRBYTE_DATASET,
    tables: Sequence[SourceTable] = TABLES,
    progress: ProgressCallback | None = None,
) -> list[AppliedView]:
    """Create (or replace) the raw layer views over Airbyte's tables in the configured warehouse.

    On BigQuery the views go to `<prefix>_raw` and read `<airbyte_dataset>` in the same project
    (both datasets must share a location). On DuckDB they read schema `<airbyte_dataset>` of the
    same file (statements transpiled by sqlglot), which is how the tests run the flow locally.
    Idempotent: run it after every Airbyte sync; a view is only replaced.

    Raises:
        ConfigError: an Airbyte table is missing (the connection has not synced that stream
            yet, or `airbyte_dataset` is wrong), or a raw name is taken by a table `sync` wrote.
    """
    with open_warehouse(settings) as warehouse:
        _check_sources(warehouse, airbyte_dataset, tables)
        warehouse.create_layer("raw")
        applied = []
        for done, table in enumerate(tables, start=1):
            if warehouse.table_kind("raw", table.raw_name) == "table":
                raise ConfigError(
                    f"raw.{table.raw_name} is a table (written by `adventure-elt sync`), not an "
                    "Airbyte view; give the Airbyte path its own dataset prefix "
                    "(ADVENTURE_ELT_BIGQUERY_DATASET_PREFIX) or drop the table"
                )
            columns = _airbyte_columns(warehouse, table, airbyte_dataset)
            _execute(warehouse, _statement_for(warehouse, table, airbyte_dataset, columns), table)
            applied.append(
                AppliedView(
                    view=warehouse.relation("raw", table.raw_name),
                    source=_source_relation(warehouse, table, airbyte_dataset),
                )
            )
            if progress is not None:
                progress(
                    ProgressEvent(
                        "airbyte views", done, len(tables), table.raw_name, done == len(tables)
                    )
                )
        return applied


def _execute(warehouse: Warehouse, sql: str, table: SourceTable) -> None:
    """Run one view statement; the engine's error becomes one line naming the view."""
    try:
        warehouse.execute(sql)
    except Exception as exc:  # the engines' own error classes differ; all are reported alike
        raise WarehouseError(
            f"cannot create the view raw.{table.raw_name}: {first_line(exc)}; the Airbyte"
            " dataset must be readable beside the raw layer (on BigQuery: the same location)"
        ) from None


def _airbyte_columns(warehouse: Warehouse, table: SourceTable, airbyte_dataset: str) -> list[str]:
    """The Airbyte metadata columns Airbyte's table of `table` has; WarehouseError when one the
    views read is missing (not a table destination-bigquery's Destinations V2 wrote)."""
    present = set(warehouse.dataset_columns(airbyte_dataset, airbyte_table(table)))
    missing = [c for c in REQUIRED_AIRBYTE_COLUMNS if c not in present]
    if missing:
        raise WarehouseError(
            f"cannot create the view raw.{table.raw_name}: {airbyte_dataset}."
            f"{airbyte_table(table)} has no {', '.join(missing)}; is it a table Airbyte's "
            "destination-bigquery (Destinations V2 or later) wrote?"
        )
    return [c for c in AIRBYTE_COLUMNS if c in present]


def _statement_for(
    warehouse: Warehouse, table: SourceTable, airbyte_dataset: str, airbyte_columns: list[str]
) -> str:
    sql = render_view_sql(
        table,
        airbyte_dataset,
        warehouse.layer_dataset("raw"),
        project=warehouse.catalog,
        airbyte_columns=airbyte_columns,
    )
    return warehouse.from_bigquery_sql(sql)


def _source_relation(warehouse: Warehouse, table: SourceTable, airbyte_dataset: str) -> str:
    return warehouse.dataset_relation(airbyte_dataset, airbyte_table(table))


def _check_sources(
    warehouse: Warehouse, airbyte_dataset: str, tables: Sequence[SourceTable]
) -> None:
    found = set(_airbyte_tables(warehouse, airbyte_dataset))
    missing = [airbyte_table(t) for t in tables if airbyte_table(t) not in found]
    if missing:
        raise ConfigError(
            f"Airbyte has not written {', '.join(missing)} in dataset {airbyte_dataset!r}; "
            "run the Airbyte connection first, or pass --dataset with its destination dataset"
        )


def _airbyte_tables(warehouse: Warehouse, dataset: str) -> list[str]:
    """Table names in Airbyte's dataset (a BigQuery dataset, or a DuckDB schema)."""
    return warehouse.dataset_tables(dataset)
