"""The BigQuery adapter: a project; layers are datasets `<prefix>_<layer>` in one location.

It also hands dlt its destination, so `sync` writes where the rest reads, and resolves the
Google credentials every command uses.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa

from adventure_elt.errors import BytesBilledLimitError, ConfigError, WarehouseError, first_line
from adventure_elt.settings import Settings
from adventure_elt.warehouse.base import (
    NULL_MARK,
    PLAIN,
    SEPARATOR,
    DryRun,
    Layout,
    MergeCounts,
    Warehouse,
    decimal_scale,
    quote_identifier,
)

if TYPE_CHECKING:
    from google.cloud import bigquery


class BigQueryWarehouse(Warehouse):
    """A BigQuery project; layers are datasets `<prefix>_<layer>` in one location.

    Opening checks the project, the credentials and the endpoint with one cheap call, so a
    command fails with one line before it reads or writes anything. The client honours the
    standard `BIGQUERY_EMULATOR_HOST` variable.

    Every query job carries `maximum_bytes_billed` from the settings
    (`ADVENTURE_ELT_BIGQUERY_MAX_BYTES_BILLED`), so BigQuery itself refuses a query that would
    bill more, before it runs and bills anything
    (https://cloud.google.com/bigquery/docs/best-practices-costs#limit_query_costs_by_restricting_the_number_of_bytes_billed).
    """

    kind = "bigquery"
    dialect = "bigquery"
    # No transaction outside a script; each DML statement is atomic on its own.
    transactional = False
    prices_queries = True
    # its own dlt state: cursors of the DuckDB pipeline say nothing about BigQuery's raw layer
    pipeline_suffix = "_bigquery"
    # Dry runs are free; the query cache would answer 0 bytes for a query seen before.
    DRY_RUN: ClassVar[dict[str, Any]] = {"dry_run": True, "use_query_cache": False}

    def __init__(self, settings: Settings) -> None:
        from google.api_core import exceptions as api_errors
        from google.cloud import bigquery

        credentials, found_project = bigquery_credentials(settings)
        project = settings.bigquery_project or found_project
        if not project:
            raise ConfigError(
                "no BigQuery project configured; set ADVENTURE_ELT_BIGQUERY_PROJECT "
                "(or `project` under [adventure_elt.bigquery] in .dlt/config.toml)"
            )
        self.settings = settings
        self.project: str = project
        self.catalog = project
        self.max_bytes_billed = settings.bigquery_max_bytes_billed
        self.location = settings.bigquery_location
        self.credentials = credentials
        client: Any = bigquery.Client
        self.client: Any = client(project=project, credentials=credentials, location=self.location)
        try:
            # retry=None: an unreachable endpoint fails now instead of retrying for minutes
            next(iter(self.client.list_datasets(max_results=1, retry=None, timeout=30)), None)
        except api_errors.GoogleAPICallError as exc:
            self.client.close()
            raise WarehouseError(
                f"BigQuery refused project {project!r}: {first_line(exc)}; check the project "
                "and the roles of the credentials"
            ) from None
        except Exception as exc:  # transport: DNS, refused connection, TLS, token refresh
            self.client.close()
            raise WarehouseError(
                f"cannot reach BigQuery at {_endpoint()}: {type(exc).__name__}; check the "
                "network (and BIGQUERY_EMULATOR_HOST when set)"
            ) from None

    @classmethod
    def open(cls, settings: Settings, *, read_only: bool = False) -> BigQueryWarehouse:
        return cls(settings)

    @classmethod
    def open_to_load(cls, settings: Settings) -> BigQueryWarehouse:
        # one line for a missing project, bad credentials or an unreachable endpoint
        warehouse = cls(settings)
        warehouse.create_layer("raw")
        return warehouse

    def dataset(self, layer: str) -> str:
        """The dataset id of a layer (`adventure_marts`)."""
        return self.settings.bigquery_dataset(layer)

    def table_id(self, layer: str, name: str) -> str:
        """`project.dataset.table` of `layer.name`, unquoted (for API calls)."""
        return f"{self.project}.{self.dataset(layer)}.{name}"

    def _job_config(self, params: Sequence[Any] | None, **options: Any) -> Any:
        from google.cloud import bigquery

        values = [_parameter(v) for v in params or ()]
        if self.max_bytes_billed and not options.get("dry_run"):
            options["maximum_bytes_billed"] = self.max_bytes_billed
        return bigquery.QueryJobConfig(query_parameters=values, **options)

    def _query(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """Run a query job to its end; the finished job (results and statistics)."""
        from google.api_core import exceptions as api_errors

        try:
            job = self.client.query(sql, job_config=self._job_config(params))
            job.result()
        except api_errors.GoogleAPICallError as exc:
            refusal = _bytes_billed_refusal(exc)
            if refusal is not None:
                raise BytesBilledLimitError(
                    f"BigQuery refused a query above the limit of {self.max_bytes_billed:,} bytes "
                    f"billed ({refusal}); raise ADVENTURE_ELT_BIGQUERY_MAX_BYTES_BILLED (or "
                    "--max-bytes) if the query is meant to read that much"
                ) from None
            raise
        return job

    def _run(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        return self._query(sql, params).result()

    def execute(self, sql: str, params: list[Any] | None = None) -> None:
        self._run(sql, params)

    def dml_counts(self, sql: str) -> MergeCounts:
        """Run one DML statement (a MERGE); the rows it inserted, updated and deleted.

        From the job's DML statistics; an endpoint that gives only the total (some emulators)
        has it counted as updated.
        """
        job = self._query(sql)
        stats = getattr(job, "dml_stats", None)
        if stats is None:
            return MergeCounts(0, int(job.num_dml_affected_rows or 0), 0)
        return MergeCounts(
            int(stats.inserted_row_count or 0),
            int(stats.updated_row_count or 0),
            int(stats.deleted_row_count or 0),
        )

    def execute_dml(self, sql: str) -> int:
        counts = self.dml_counts(sql)
        return counts.inserted + counts.updated + counts.deleted

    @contextmanager
    def stage(self, rows: pa.Table, layer: str, hint: str) -> Iterator[str]:
        """A scratch table `_<hint>_<random>` in `layer`, created with an explicit schema and
        a one-day expiration (a run killed half-way leaves nothing behind for long), filled
        by a free load job, dropped afterwards."""
        name = f"_{hint}_{uuid.uuid4().hex[:12]}"
        relation = self.relation(layer, name)
        columns = ", ".join(f"{self.quote(f.name)} {bigquery_type(f.type)}" for f in rows.schema)
        expiry = f"timestamp_add(current_timestamp(), {SCRATCH_EXPIRY})"
        self.execute(
            f"create table {relation} ({columns}) options (expiration_timestamp = {expiry})"
        )
        try:
            if rows.num_rows:
                self.append(layer, name, rows)
            yield relation
        finally:
            self.execute(f"drop table if exists {relation}")

    def add_flag_column(self, layer: str, name: str, column: str) -> None:
        # Rows already in the table read NULL there (BigQuery fills no default into existing
        # rows), which every reader treats as "not deleted" (`coalesce(…, false)`).
        if column in self.column_types(layer, name):
            return
        relation, flag = self.relation(layer, name), self.quote(column)
        self.execute(f"alter table {relation} add column if not exists {flag} bool")
        self.execute(f"alter table {relation} alter column {flag} set default false")

    def add_columns(self, layer: str, name: str, schema: pa.Schema) -> None:
        present, relation = self.column_types(layer, name), self.relation(layer, name)
        for field in schema:
            if field.name not in present:
                self.execute(
                    f"alter table {relation} add column if not exists {self.quote(field.name)}"
                    f" {bigquery_type(field.type)}"
                )

    def upsert(
        self,
        layer: str,
        name: str,
        rows: pa.Table,
        key: Sequence[str],
        deleted: str | None,
        flag: str | None = None,
    ) -> int:
        """One `MERGE` from the staged rows: atomic on its own, so readers never see a key
        between its delete and its insert, and one DML job instead of two (a job's latency is
        what a micro-batch waits for). The staged rows' keys are unique, as MERGE requires."""
        q = self.quote
        on = " and ".join(f"t.{q(k)} = s.{q(k)}" for k in key)
        gone, columns, values = self.upsert_parts(rows, deleted, flag)
        removal = "delete"
        if flag is not None:
            self.add_flag_column(layer, name, flag)
            removal = f"update set {q(flag)} = true"
        assignments = ", ".join(f"{c} = {v}" for c, v in zip(columns, values, strict=True))
        with self.stage(rows, layer, f"upsert_{name}") as staged:
            counts = self.dml_counts(
                f"merge {self.relation(layer, name)} as t using {staged} as s on {on}"
                f" when matched and {gone} then {removal}"
                f" when matched then update set {assignments}"
                f" when not matched and not {gone} then insert ({', '.join(columns)})"
                f" values ({', '.join(values)})"
            )
        return counts.inserted + counts.updated + counts.deleted

    def canonical_text(self, column: str, type_name: str) -> str:
        quoted = self.quote(column)
        kind = type_name.upper()
        if decimal_scale(kind) is not None:  # NUMERIC(p,s) / BIGNUMERIC(p,s)
            text = f"cast({quoted} as string)"
            # trailing zeros only after a decimal point: 10 stays 10, 1.50 becomes 1.5
            return f"if(strpos({text}, '.') > 0, rtrim(rtrim({text}, '0'), '.'), {text})"
        if kind == "BYTES":
            return f"to_hex({quoted})"
        if kind in _AFTER_THE_YEAR:
            # BigQuery's %Y writes the year 1 as `1`; the canonical text pads it to four digits,
            # as PostgreSQL's YYYY and DuckDB's %Y do (a `0001-01-01` stand-in date is common).
            year = f"lpad(cast(extract(year from {quoted}) as string), 4, '0')"
            return f"concat({year}, {_AFTER_THE_YEAR[kind].format(quoted)})"
        if kind == "STRING":
            return quoted
        return f"cast({quoted} as string)"

    def row_hash(self, texts: Sequence[str]) -> str:
        null = f"code_points_to_string([{NULL_MARK}])"
        marked = ", ".join(f"coalesce({t}, {null})" for t in texts)
        return f"to_hex(md5(array_to_string([{marked}], code_points_to_string([{SEPARATOR}]))))"

    def hash_slice(self, hash_sql: str, start: int) -> str:
        # GoogleSQL casts a STRING of the form 0x… to INT64 (conversion rules of CAST AS INT64);
        # as NUMERIC, because a SUM of INT64 fails past 2⁶³, about 2³¹ rows of these.
        return f"cast(cast(concat('0x', substr({hash_sql}, {start}, 8)) as int64) as numeric)"

    def merge(
        self, layer: str, name: str, sql: str, key: Sequence[str], layout: Layout = PLAIN
    ) -> MergeCounts | None:
        """One `MERGE` (atomic: BigQuery runs no multi-statement transaction outside a
        script). A table whose partitioning or clustering differs from `layout` is rebuilt
        instead: merging would keep the old layout."""
        columns = self._merge_columns(layer, name, sql, key, layout)
        if columns is None:
            return None
        self.check_unique(layer, name, f"(\n{sql}\n)", key)
        return self.dml_counts(self.merge_statement(self.relation(layer, name), sql, columns, key))

    def merge_queries(
        self, layer: str, name: str, sql: str, key: Sequence[str], layout: Layout = PLAIN
    ) -> list[str] | None:
        """The unique-key check and the `MERGE` (its source query and the target's scan)."""
        columns = self._merge_columns(layer, name, sql, key, layout)
        if columns is None:
            return None
        return [
            self.unique_check_sql(f"(\n{sql}\n)", key),
            self.merge_statement(self.relation(layer, name), sql, columns, key),
        ]

    def _merge_columns(
        self, layer: str, name: str, sql: str, key: Sequence[str], layout: Layout
    ) -> list[str] | None:
        """The query's columns when its table can take a merge; None when it must be rebuilt."""
        if self.table_layout(layer, name) != layout:
            return None  # missing, a view, or laid out differently
        columns = [field.name for field in self.query_schema(sql)]
        self.check_merge_key(layer, name, columns, key)
        if not set(columns) <= set(self.column_types(layer, name)):
            return None
        return columns

    def merge_statement(
        self, target: str, sql: str, columns: Sequence[str], key: Sequence[str]
    ) -> str:
        """The `MERGE` of `sql` into `target` (keys compared with `=`: they are unique and not
        null in the model's output).

        >>> wh = BigQueryWarehouse.__new__(BigQueryWarehouse)
        >>> print(wh.merge_statement("`p.d.t`", "select 1 as id, 2 as V", ["id", "V"], ["id"]))
        merge `p.d.t` as t
        using (
        select 1 as id, 2 as V
        ) as s
        on t.`id` = s.`id`
        when matched and not (t.`V` is not distinct from s.`V`) then update set `V` = s.`V`
        when not matched by target then insert (`id`, `V`) values (s.`id`, s.`V`)
        when not matched by source then delete
        """
        q = self.quote
        on = " and ".join(f"t.{q(k)} = s.{q(k)}" for k in key)
        values = [c for c in columns if c not in key]
        lines = [f"merge {target} as t", f"using (\n{sql.strip()}\n) as s", f"on {on}"]
        if values:
            same = " and ".join(f"t.{q(c)} is not distinct from s.{q(c)}" for c in values)
            assignments = ", ".join(f"{q(c)} = s.{q(c)}" for c in values)
            lines.append(f"when matched and not ({same}) then update set {assignments}")
        names = ", ".join(q(c) for c in columns)
        lines.append(
            f"when not matched by target then insert ({names})"
            f" values ({', '.join(f's.{q(c)}' for c in columns)})"
        )
        lines.append("when not matched by source then delete")
        return "\n".join(lines)

    def fetch_arrow(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        table: pa.Table = self._run(sql, params).to_arrow(create_bqstorage_client=False)
        return table

    def fetch_all(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return [tuple(row.values()) for row in self._run(sql, params)]

    def dry_run_config(self) -> bigquery.QueryJobConfig:
        """The job configuration of a cost estimate: dry run, no cache."""
        config: bigquery.QueryJobConfig = self._job_config(None, **self.DRY_RUN)
        return config

    def dry_run(self, sql: str) -> DryRun:
        """Bytes `sql` would process, from a dry-run job (nothing runs, nothing is billed)."""
        from google.api_core import exceptions as api_errors

        try:
            job = self.client.query(sql, job_config=self.dry_run_config())
        except api_errors.GoogleAPICallError as exc:
            return DryRun(None, _api_message(exc))
        columns = tuple((str(f.name), sql_type(f)) for f in job.schema or ())
        return DryRun(int(job.total_bytes_processed or 0), None, columns)

    def query_schema(self, sql: str) -> list[Any]:
        """The result columns of `sql` as `SchemaField`s, from a dry run (nothing runs).

        Raises:
            WarehouseError: BigQuery refused the query (its first line).
        """
        from google.api_core import exceptions as api_errors

        try:
            job = self.client.query(sql, job_config=self.dry_run_config())
        except api_errors.GoogleAPICallError as exc:
            raise WarehouseError(first_line(exc)) from None
        return list(job.schema or [])

    def _table(self, layer: str, name: str, schema: Sequence[Any], layout: Layout) -> Any:
        """A table resource with `layout` in its metadata (not created yet)."""
        from google.cloud import bigquery

        table = bigquery.Table(self.table_id(layer, name), schema=list(schema))
        if layout.partition_field is not None:
            table.time_partitioning = bigquery.TimePartitioning(
                type_=layout.granularity, field=layout.partition_field
            )
        if layout.cluster_by:
            table.clustering_fields = list(layout.cluster_by)
        return table

    def table_layout(self, layer: str, name: str) -> Layout | None:
        """The partitioning and clustering of the table `layer.name`; None when it is missing
        (or a view)."""
        table = self.table_metadata(layer, name)
        if table is None or str(table.table_type).upper() != "TABLE":
            return None
        return _layout(table)

    def replace_table(self, layer: str, name: str, sql: str, layout: Layout = PLAIN) -> None:
        """`create or replace table … [partition by …] [cluster by …] as` the query: one
        statement, so readers see the old rows until the new ones are there, and a refused
        query leaves the old table whole.

        BigQuery refuses `create or replace` over a table with another partitioning or
        clustering spec ("Cannot replace a table with a different partitioning spec"), so a
        table whose layout differs from `layout` is dropped first; a partitioned or clustered
        table that is missing (or was just dropped) is created through the API (its metadata
        then holds the layout, which the emulator's DDL does not keep) and filled by
        `insert … select`.
        """
        relation, table_id = self.relation(layer, name), self.table_id(layer, name)
        existing = self.table_metadata(layer, name)
        if existing is not None and _layout(existing) != layout:
            self.client.delete_table(table_id)
            existing = None
        if layout.is_plain or existing is not None:
            clauses = [] if existing is None else _layout_clauses(layout, existing)
            head = ("\n" if clauses else " ").join(
                [f"create or replace table {relation}", *clauses, "as"]
            )
            self.execute(f"{head}\n{sql}")
            return
        schema = self.query_schema(sql)
        self.client.create_table(self._table(layer, name, schema, layout))
        columns = ", ".join(self.quote(field.name) for field in schema)
        self.execute(f"insert into {relation} ({columns})\n{sql}")

    def ensure_table(
        self, layer: str, name: str, schema: pa.Schema, layout: Layout = PLAIN
    ) -> None:
        from google.cloud import bigquery

        self.create_layer(layer)
        fields = [bigquery.SchemaField(f.name, bigquery_type(f.type)) for f in schema]
        self.client.create_table(self._table(layer, name, fields, layout), exists_ok=True)

    def table_metadata(self, layer: str, name: str) -> Any:
        """The BigQuery table resource (schema, partitioning, clustering, sizes), or None when
        `layer.name` does not exist."""
        from google.api_core import exceptions as api_errors

        try:
            return self.client.get_table(self.table_id(layer, name))
        except api_errors.NotFound:
            return None

    def list_tables(self, layer: str) -> list[str]:
        from google.api_core import exceptions as api_errors

        try:
            return sorted(t.table_id for t in self.client.list_tables(self.dataset(layer)))
        except api_errors.NotFound:
            return []

    def create_layer(self, layer: str) -> None:
        from google.api_core import exceptions as api_errors
        from google.cloud import bigquery

        dataset = bigquery.Dataset(f"{self.project}.{self.dataset(layer)}")
        # Look first: a service account with Data Editor on datasets an administrator created
        # may not create datasets, and BigQuery answers such a create with 403, not "exists".
        try:
            self.client.get_dataset(dataset.reference)
            return
        except api_errors.NotFound:
            pass
        dataset.location = self.location
        self.client.create_dataset(dataset, exists_ok=True)

    def relation(self, layer: str, name: str) -> str:
        return f"`{self.table_id(layer, name)}`"

    def layer_dataset(self, layer: str) -> str:
        return self.dataset(layer)

    def from_bigquery_sql(self, sql: str) -> str:
        return sql  # the engine's own dialect: run as written

    def dataset_tables(self, dataset: str) -> list[str]:
        from google.api_core import exceptions as api_errors

        try:
            return [t.table_id for t in self.client.list_tables(dataset)]
        except api_errors.NotFound:
            return []
        except api_errors.GoogleAPICallError as exc:
            raise WarehouseError(
                f"cannot list the dataset {dataset!r}: {_api_message(exc)}"
            ) from None

    @classmethod
    def printed_relation(cls, settings: Settings, layer: str, name: str) -> str:
        # the console runs in a project of its own: `project.dataset.table` when one is
        # configured, else `dataset.table` (the console's project)
        path = (settings.bigquery_project, settings.bigquery_dataset(layer), name)
        return "`" + ".".join(part for part in path if part) + "`"

    def dataset_columns(self, dataset: str, name: str) -> list[str]:
        from google.api_core import exceptions as api_errors

        try:
            table = self.client.get_table(f"{self.project}.{dataset}.{name}")
        except api_errors.NotFound:
            return []
        return [str(field.name) for field in table.schema]

    def append(self, layer: str, name: str, rows: pa.Table) -> None:
        import pyarrow.parquet as pq
        from google.cloud import bigquery

        self.create_layer(layer)
        buffer = io.BytesIO()
        pq.write_table(rows, buffer)
        buffer.seek(0)
        config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.PARQUET,
            write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
            create_disposition=bigquery.CreateDisposition.CREATE_IF_NEEDED,
        )
        # load_table_from_file: one load job (free), not streaming inserts (billed)
        self.client.load_table_from_file(
            buffer, self.table_id(layer, name), job_config=config
        ).result()

    def stream_rows(
        self,
        layer: str,
        name: str,
        rows: Sequence[Mapping[str, Any]],
        row_ids: Sequence[str],
        retry: Any,
    ) -> list[dict[str, Any]]:
        """Stream JSON rows into `layer.name` (`tabledata.insertAll`) with insert ids; the
        per-row errors BigQuery answers (empty: all stored). API errors are raised as is."""
        errors: list[dict[str, Any]] = self.client.insert_rows_json(
            self.table_id(layer, name), list(rows), row_ids=list(row_ids), retry=retry
        )
        return errors

    def describe(self, layer: str, name: str) -> tuple[str, dict[str, str]] | None:
        table = self.table_metadata(layer, name)
        if table is None:
            return None
        kind = "view" if str(table.table_type).upper() == "VIEW" else "table"
        return kind, {str(f.name): _type_name(f) for f in table.schema}

    def dlt_destination(self, dlt: Any) -> tuple[Any, str]:
        """The dlt destination writing the raw layer here, and the raw dataset's name."""
        from dlt.common.configuration.specs import GcpServiceAccountCredentials

        # Hand dlt the credentials resolved here (service account, user or metadata server),
        # so sync authenticates exactly like every other command.
        credentials = GcpServiceAccountCredentials()
        credentials._set_default_credentials(self.credentials)
        credentials.project_id = self.project
        credentials.resolve()
        destination = dlt.destinations.bigquery(
            credentials=credentials, project_id=self.project, location=self.location
        )
        return destination, self.dataset("raw")

    def close(self) -> None:
        self.client.close()


SCRATCH_EXPIRY = "interval 1 day"  # how long a staged scratch table outlives a killed run
# The canonical text of a date or time after its year, by BigQuery type. EXTRACT reads a
# TIMESTAMP's year in UTC, BigQuery's default time zone; FORMAT_TIMESTAMP is told UTC too.
_AFTER_THE_YEAR = {
    "TIMESTAMP": "format_timestamp('-%m-%d %H:%M:%E6S', {}, 'UTC')",
    "DATETIME": "format_datetime('-%m-%d %H:%M:%E6S', {})",
    "DATE": "format_date('-%m-%d', {})",
}


def bigquery_type(arrow_type: pa.DataType) -> str:
    """The BigQuery column type that holds an Arrow type's values.

    >>> bigquery_type(pa.timestamp("us", tz="UTC")), bigquery_type(pa.float64())
    ('TIMESTAMP', 'FLOAT64')
    """
    if pa.types.is_timestamp(arrow_type):
        return "DATETIME" if arrow_type.tz is None else "TIMESTAMP"
    checks = (
        (pa.types.is_boolean, "BOOL"),
        (pa.types.is_integer, "INT64"),
        (pa.types.is_floating, "FLOAT64"),
        (pa.types.is_decimal, "NUMERIC"),
        (pa.types.is_date, "DATE"),
        (pa.types.is_binary, "BYTES"),
    )
    return next((kind for check, kind in checks if check(arrow_type)), "STRING")


def sql_type(field: Any) -> str:
    """A result column's type as GoogleSQL spells it in a CAST: no precision or length
    parameters (BigQuery refuses them there); arrays and structs spelled out.

    >>> from google.cloud.bigquery import SchemaField
    >>> sql_type(SchemaField("amount", "NUMERIC", precision=38, scale=9))
    'NUMERIC'
    >>> sql_type(SchemaField("tags", "RECORD", mode="REPEATED",
    ...                      fields=[SchemaField("n", "INTEGER"), SchemaField("s", "STRING")]))
    'ARRAY<STRUCT<`n` INT64, `s` STRING>>'
    """
    kind = str(field.field_type).upper()
    kind = {"INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL"}.get(kind, kind)
    if kind in ("RECORD", "STRUCT"):
        inner = ", ".join(
            f"{quote_identifier(f.name, 'bigquery')} {sql_type(f)}" for f in field.fields
        )
        kind = f"STRUCT<{inner}>"
    return f"ARRAY<{kind}>" if field.mode == "REPEATED" else kind


def _layout(table: Any) -> Layout:
    """The layout held in a BigQuery table resource's metadata."""
    partitioning = table.time_partitioning
    field = None if partitioning is None else (partitioning.field or "_PARTITIONTIME")
    granularity = "DAY" if partitioning is None else str(partitioning.type_ or "DAY").upper()
    return Layout(field, granularity, tuple(table.clustering_fields or ()))


def _layout_clauses(layout: Layout, table: Any) -> list[str]:
    """The `partition by …` and `cluster by …` clauses giving `layout` to a table like `table`
    (a resource holding the partitioning column's type).

    BigQuery's DDL takes a DATE column itself (by day), DATE_TRUNC of a DATE column by month or
    year, and TIMESTAMP_TRUNC / DATETIME_TRUNC of a TIMESTAMP / DATETIME column
    (https://cloud.google.com/bigquery/docs/reference/standard-sql/data-definition-language#partition_expression).
    """
    clauses = []
    field = layout.partition_field
    if field is not None:
        kind = next(str(f.field_type).upper() for f in table.schema if f.name == field)
        column, grain = quote_identifier(field, "bigquery"), layout.granularity
        if kind == "DATE" and grain == "DAY":
            clauses.append(f"partition by {column}")
        elif kind == "DATE":
            clauses.append(f"partition by date_trunc({column}, {grain})")
        else:
            clauses.append(f"partition by {kind.lower()}_trunc({column}, {grain})")
    if layout.cluster_by:
        columns = ", ".join(quote_identifier(c, "bigquery") for c in layout.cluster_by)
        clauses.append(f"cluster by {columns}")
    return clauses


def _api_message(exc: Any) -> str:
    """BigQuery's own reason for an error (without the request's method and URL)."""
    for error in getattr(exc, "errors", None) or []:
        if isinstance(error, dict) and error.get("message"):
            return first_line(Exception(error["message"]))
    return first_line(exc)


def _bytes_billed_refusal(exc: Any) -> str | None:
    """BigQuery's message when it refused a job for its `maximum_bytes_billed` (reason
    `bytesBilledLimitExceeded`, https://cloud.google.com/bigquery/docs/error-messages), else
    None."""
    for error in getattr(exc, "errors", None) or []:
        if isinstance(error, dict) and error.get("reason") == "bytesBilledLimitExceeded":
            return str(error.get("message") or "bytesBilledLimitExceeded")
    return None


def bigquery_credentials(settings: Settings) -> tuple[Any, str | None]:
    """Google credentials and the project they name: dlt's secrets key, else ADC.

    Raises:
        ConfigError: no credentials, or not a service-account key. The message names the
            file or setting, never its content.
    """
    from google.oauth2 import service_account as _service_account

    service_account: Any = _service_account
    scopes = ["https://www.googleapis.com/auth/cloud-platform"]
    given = settings.bigquery_credentials
    where = "DESTINATION__BIGQUERY__CREDENTIALS / [destination.bigquery.credentials]"
    try:
        if isinstance(given, Mapping):
            info = dict(given)
        elif isinstance(given, str) and given.strip().startswith("{"):
            info = json.loads(given)
        elif isinstance(given, str):
            where = given.strip()
            info = json.loads(Path(where).expanduser().read_text(encoding="utf-8"))
        else:
            return _application_default(scopes)
        credentials = service_account.Credentials.from_service_account_info(info, scopes=scopes)
        return credentials, info.get("project_id")
    except OSError:
        raise ConfigError(f"cannot read the BigQuery credentials file {where}") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ConfigError(
            f"the BigQuery credentials in {where} are not a service-account JSON key; "
            "give a key with type, client_email and private_key"
        ) from None


def _application_default(scopes: list[str]) -> tuple[Any, str | None]:
    """Application Default Credentials; ConfigError (file named, content never) if unusable."""
    import google.auth
    from google.auth import exceptions as auth_errors

    try:
        credentials, project = google.auth.default(scopes=scopes)
    except (auth_errors.DefaultCredentialsError, ValueError, KeyError, OSError):
        raise ConfigError(_adc_message()) from None
    return credentials, project


def _adc_message() -> str:
    import os

    path = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if path:
        return (
            f"GOOGLE_APPLICATION_CREDENTIALS={path} is not a usable credentials file; "
            "point it at a service-account JSON key"
        )
    return (
        "no Google credentials found; set GOOGLE_APPLICATION_CREDENTIALS to a service-account "
        "JSON key or run `gcloud auth application-default login`"
    )


def _endpoint() -> str:
    from google.cloud.bigquery import _helpers

    helpers: Any = _helpers
    return str(helpers._get_bigquery_host())


def _type_name(field: Any) -> str:
    """The column type as BigQuery spells it; decimals with their precision and scale."""
    kind = sql_type(field)
    if kind in ("NUMERIC", "BIGNUMERIC"):
        default = (38, 9) if kind == "NUMERIC" else (76, 38)
        precision = field.precision or default[0]
        scale = field.scale if field.scale is not None else default[1]
        return f"{kind}({precision},{scale})"
    return kind


def _parameter(value: Any) -> bigquery.ScalarQueryParameter | bigquery.ArrayQueryParameter:
    """A positional (`?`) query parameter typed from the Python value; a list is an array of
    strings (`x in unnest(?)`)."""
    from google.cloud import bigquery

    if isinstance(value, list):
        return bigquery.ArrayQueryParameter(None, "STRING", value)
    kind = "STRING"
    if isinstance(value, bool):
        kind = "BOOL"
    elif isinstance(value, int):
        kind = "INT64"
    elif isinstance(value, float):
        kind = "FLOAT64"
    elif isinstance(value, Decimal):
        kind = "NUMERIC"
    elif isinstance(value, datetime):
        kind = "DATETIME" if value.tzinfo is None else "TIMESTAMP"
    elif isinstance(value, date):
        kind = "DATE"
    return bigquery.ScalarQueryParameter(None, kind, value)
