"""What the docs site shows, collected into plain data (the pages are rendered from it).

From the SQL project: every model and seed with its `_models.yml` (description, materialisation,
keys, checks), the raw tables the models read (columns from `sql/source` and the stream's
contract), the column lineage of every model, and the semantic model. From the warehouse, when
it can be opened (read-only): how each table is built, its column types, and the last result of
every check (`ops.check_results`). Without a warehouse the site still builds; the facts say so
(`SiteFacts.warehouse_note`), types stay empty ("unknown until built") and checks have no result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlglot import exp

from adventure_elt.catalog import TABLES as SOURCE_TABLES
from adventure_elt.errors import AdventureEltError, ModelError
from adventure_elt.progress import ProgressCallback, ProgressEvent, ignore
from adventure_elt.settings import Settings
from adventure_elt.stream.tables import EVENT_COLUMNS, EVENTS_TABLE
from adventure_elt.transform.check_log import RecordedCheck, last_checks
from adventure_elt.transform.checks import declared_checks
from adventure_elt.transform.dag import build_dag
from adventure_elt.transform.lineage import model_column_sources
from adventure_elt.transform.project import DIALECT, Node, Project, display, load_project
from adventure_elt.transform.schema import Columns, project_columns, raw_columns
from adventure_elt.warehouse import bigquery_type
from adventure_elt.warehouse.base import RAW_LAYER

# how the layers are listed: where data comes from first
LAYER_ORDER: tuple[str, ...] = ("raw", "ops", "seeds", "staging", "marts", "reports")
_STREAM_TABLE = f"{RAW_LAYER}.{EVENTS_TABLE}"
# the stream contract's columns by the type names of the models' SQL (BigQuery's dialect)
_STREAM_COLUMNS: Columns = {_STREAM_TABLE: {c: bigquery_type(t) for c, t in EVENT_COLUMNS.items()}}


@dataclass(frozen=True)
class CheckFact:
    """A check declared for a table, and its last recorded outcome (None: not run yet)."""

    name: str
    kind: str
    column: str | None
    sql: str
    last: RecordedCheck | None = None
    severity: str = "error"

    @property
    def status(self) -> str:
        """`pass`, `fail`, `warn` (a `severity: warn` check found rows), `error` or `not run`."""
        if self.last is None:
            return "not run"
        if self.last.error is not None:
            return "error"
        if self.last.passed:
            return "pass"
        return "warn" if self.severity == "warn" else "fail"


@dataclass(frozen=True)
class ColumnFact:
    """A column of a table: its type ("" = unknown), description, and for a model column how it
    is computed and which columns (`layer.table.column`, one table up) it reads."""

    table: str
    name: str
    type: str = ""
    description: str = ""
    expression: str = ""
    reads: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """`layer.table.column`."""
        return f"{self.table}.{self.name}"


@dataclass(frozen=True)
class TableFact:
    """A model, a seed or a source table (`kind`), as declared and as built.

    `materialized` is what `_models.yml` declares ("" for sources), `built_as` what the warehouse
    holds (`table`, `view`, "" = not built or not read). `types_from` says where the column types
    come from ("" = unknown until built).
    """

    key: str
    kind: str
    description: str = ""
    path: str = ""
    text: str = ""
    materialized: str = ""
    built_as: str = ""
    unique_key: tuple[str, ...] = ()
    partition_by: str = ""
    cluster_by: tuple[str, ...] = ()
    upstream: tuple[str, ...] = ()
    columns: tuple[ColumnFact, ...] = ()
    types_from: str = ""
    checks: tuple[CheckFact, ...] = ()
    lineage_error: str = ""

    @property
    def layer(self) -> str:
        """`raw`, `seeds`, `staging`, `marts`, `reports`, …"""
        return self.key.split(".", 1)[0]

    @property
    def name(self) -> str:
        """The table's name inside its layer."""
        return self.key.split(".", 1)[1]


@dataclass(frozen=True)
class FieldFact:
    """A dimension or measure of the semantic layer.

    `expression` is its SQL ("" for a plain `count`); `column` is the `layer.table.column` it
    reads when it is one column of its view's table, else "".
    """

    name: str
    label: str
    type: str
    description: str = ""
    expression: str = ""
    column: str = ""
    filter: str = ""
    format: str = ""
    grains: tuple[str, ...] = ()


@dataclass(frozen=True)
class ViewFact:
    """A view of the semantic layer: the table it reads ("" when it is a SELECT), the tables its
    SELECT reads, its joins and fields, and the text of its YAML file."""

    name: str
    label: str
    description: str
    path: str
    text: str
    table: str
    reads: tuple[str, ...]
    primary_key: tuple[str, ...]
    joins: tuple[tuple[str, str], ...]
    dimensions: tuple[FieldFact, ...]
    measures: tuple[FieldFact, ...]


@dataclass(frozen=True)
class SiteFacts:
    """Everything the site shows. `tables` is keyed by `layer.name`, sources first, then the
    project's nodes in build order."""

    built_at: datetime
    warehouse: str
    warehouse_note: str
    tables: Mapping[str, TableFact]
    views: tuple[ViewFact, ...]

    def columns(self) -> dict[str, ColumnFact]:
        """Every column of every table by `layer.table.column`."""
        return {c.key: c for t in self.tables.values() for c in t.columns}

    def downstream(self) -> dict[str, tuple[str, ...]]:
        """Table key -> the tables that read it."""
        found: dict[str, list[str]] = {key: [] for key in self.tables}
        for table in self.tables.values():
            for upstream in table.upstream:
                found.setdefault(upstream, []).append(table.key)
        return {key: tuple(readers) for key, readers in found.items()}

    def checks(self) -> list[CheckFact]:
        """Every declared check, table by table."""
        return [check for table in self.tables.values() for check in table.checks]


@dataclass(frozen=True)
class _Built:
    """What the warehouse holds: table key -> (kind, column types), and the last checks."""

    tables: Mapping[str, tuple[str, dict[str, str]]]
    checks: Mapping[tuple[str, str], RecordedCheck]
    note: str = ""


def collect_facts(
    settings: Settings, sql_dir: Path | None = None, progress: ProgressCallback = ignore
) -> SiteFacts:
    """Read the project (and the warehouse, when it opens) into the facts the site shows.

    Args:
        settings: the warehouse to read (read-only; a missing one is not an error).
        sql_dir: the `sql/` folder (default: the project's).
        progress: receives one event per model traced.

    Returns:
        The facts; ModelError / SemanticModelError when the project itself is broken.
    """
    project = load_project(sql_dir)
    views = _views(project.sql_dir)  # a broken semantic model fails before any work
    order = build_dag(project).order()
    sources = _source_keys(project)
    built = _read_warehouse(settings, [*sources, *order])
    warehouse_raw = {k: v[1] for k, v in built.tables.items() if k in sources}
    columns = project_columns(project, {**_STREAM_COLUMNS, **warehouse_raw})
    tables: dict[str, TableFact] = {}
    for key in sources:
        tables[key] = _source_fact(project.sql_dir, key, columns, built)
    for i, key in enumerate(order):
        tables[key] = _node_fact(project, project.nodes[key], columns, built)
        progress(ProgressEvent("lineage", done=i + 1, total=len(order), message=key))
    progress(ProgressEvent("lineage", done=len(order), total=len(order), finished=True))
    return SiteFacts(
        built_at=datetime.now(UTC),
        warehouse=settings.warehouse,
        warehouse_note=built.note,
        tables=tables,
        views=views,
    )


def _source_keys(project: Project) -> list[str]:
    """Raw tables described in `sql/source` or read by a model, sorted."""
    read = {source for node in project.nodes.values() for source in node.sources}
    return sorted({*raw_columns(project.sql_dir), *read})


def _read_warehouse(settings: Settings, keys: Iterable[str]) -> _Built:
    from adventure_elt.warehouse import open_warehouse

    try:
        with open_warehouse(settings, read_only=True) as warehouse:
            tables = {}
            for key in keys:
                described = warehouse.describe(*key.split(".", 1))
                if described is not None:
                    tables[key] = described
            return _Built(tables, last_checks(warehouse))
    except AdventureEltError as exc:
        return _Built({}, {}, str(exc))


def _source_fact(sql_dir: Path, key: str, columns: Columns, built: _Built) -> TableFact:
    kind_and_types = built.tables.get(key)
    replicated = {f"raw.{t.raw_name}": t for t in SOURCE_TABLES}
    source = replicated.get(key)
    description, path, text = "", "", ""
    unique_key: tuple[str, ...] = ()
    if source is not None:
        description = (
            f"Replicated by `sync` from the PostgreSQL table {source.qualified_name}: merged on "
            f"{', '.join(source.primary_key)}, read incrementally by {source.cursor}."
        )
        ddl = sql_dir / "source" / f"{source.qualified_name}.sql"
        if ddl.is_file():
            path, text = display(ddl, sql_dir), ddl.read_text(encoding="utf-8")
        unique_key = source.primary_key
    elif key == _STREAM_TABLE:
        description = (
            "Web page views accepted by `stream ingest`, one row per event "
            "(refused lines go to raw.web_events_rejected)."
        )
    if kind_and_types is not None:
        types, types_from = kind_and_types[1], "warehouse"
    else:
        types = columns.get(key, {})
        types_from = "stream contract" if key == _STREAM_TABLE else "source DDL" if types else ""
    return TableFact(
        key=key,
        kind="source",
        description=description,
        path=path,
        text=text,
        built_as=kind_and_types[0] if kind_and_types else "",
        unique_key=unique_key,
        columns=tuple(ColumnFact(key, name, type_) for name, type_ in types.items()),
        types_from=types_from,
    )


def _node_fact(project: Project, node: Node, columns: Columns, built: _Built) -> TableFact:
    key = node.key
    kind_and_types = built.tables.get(key)
    types = kind_and_types[1] if kind_and_types else dict(node.config.column_types)
    names = list(columns.get(key) or types)
    lineage_error = ""
    try:
        traced = model_column_sources(project, columns, key)
    except ModelError as exc:
        traced, lineage_error = {}, str(exc)
    descriptions = node.config.column_descriptions
    checks = tuple(
        CheckFact(c.name, c.kind, c.column, c.sql, built.checks.get((key, c.name)), c.severity)
        for c in declared_checks(project, node)
    )
    layout = node.config.layout
    types_from = "warehouse" if kind_and_types else "seed column_types" if types else ""
    return TableFact(
        key=key,
        kind="seed" if node.is_seed else "model",
        description=node.config.description,
        path=project.display_path(node),
        text=node.path.read_text(encoding="utf-8"),
        materialized=node.materialized,
        built_as=kind_and_types[0] if kind_and_types else "",
        unique_key=node.config.unique_key,
        partition_by=(
            f"{layout.partition_field} ({layout.granularity.lower()})"
            if layout.partition_field
            else ""
        ),
        cluster_by=layout.cluster_by,
        upstream=(*node.depends_on, *node.sources),
        columns=tuple(
            ColumnFact(
                table=key,
                name=name,
                type=types.get(name, ""),
                description=descriptions.get(name, ""),
                expression=traced[name].expression if name in traced else "",
                reads=traced[name].reads if name in traced else (),
            )
            for name in names
        ),
        types_from=types_from,
        checks=checks,
        lineage_error=lineage_error,
    )


def _views(sql_dir: Path) -> tuple[ViewFact, ...]:
    """The semantic model's views (none when the project has no `semantic/` files)."""
    from adventure_elt.semantic.model import load_model

    folder = sql_dir / "semantic"
    if not any(folder.glob("*.y*ml")):
        return ()
    model = load_model(folder, sql_dir=sql_dir)
    views = []
    for view in model.views.values():
        source = view.source
        table = f"{source.db}.{source.name}" if isinstance(source, exp.Table) else ""
        reads = [f"{t.db}.{t.name}" for t in source.find_all(exp.Table) if t.db]

        dimensions = tuple(
            FieldFact(
                d.name, d.label, d.type, d.description, *_field_sql(d.expression, table),
                grains=d.grains,
            )
            for d in view.dimensions.values()
        )  # fmt: skip
        measures = tuple(
            FieldFact(
                m.name, m.label, m.type, m.description,
                # a derived measure's SQL names measures, not columns
                *_field_sql(m.expression, "" if m.is_derived else table),
                filter=m.filter.sql(DIALECT) if m.filter is not None else "",
                format=m.format,
            )
            for m in view.measures.values()
        )  # fmt: skip
        views.append(
            ViewFact(
                name=view.name,
                label=view.label,
                description=view.description,
                path=display(view.path, sql_dir),
                text=view.path.read_text(encoding="utf-8"),
                table=table,
                reads=tuple(dict.fromkeys(reads)),
                primary_key=view.primary_key,
                joins=tuple((j.view, j.foreign_key) for j in view.joins),
                dimensions=dimensions,
                measures=measures,
            )
        )
    return tuple(views)


def _field_sql(expression: exp.Expr | None, table: str) -> tuple[str, str]:
    """A field's SQL, and `table.column` when it is one column of `table` ("" otherwise)."""
    if expression is None:
        return "", ""
    column = f"{table}.{expression.name}" if table and isinstance(expression, exp.Column) else ""
    return expression.sql(DIALECT), column
