"""Column names (and DuckDB types where known) of raw tables and models, without a warehouse.

Raw tables are described by the source DDL in `sql/source/<schema>.<table>.sql` mapped to the raw
layer contract (`raw.<schema>_<table>`, DuckDB types as dlt writes them, plus `_extracted_at`,
`_dlt_load_id`, `_dlt_id`). A model's columns are its outermost SELECT after sqlglot expands
`*` against its upstreams' columns.
"""

from __future__ import annotations

from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify

from adventure_elt.transform.dag import build_dag
from adventure_elt.transform.project import DIALECT, Project

# table key `layer.name` -> {column: DuckDB type, or "" when unknown}
Columns = dict[str, dict[str, str]]

_LOADER_COLUMNS = {
    "_extracted_at": "TIMESTAMP WITH TIME ZONE",
    "_dlt_load_id": "VARCHAR",
    "_dlt_id": "VARCHAR",
    "_is_deleted": "BOOLEAN",  # NULL unless a soft-delete sync flagged the row
}


def _raw_type(data_type: exp.DataType) -> str:
    t = exp.DataType.Type
    kind = data_type.this
    if kind in (t.SMALLINT, t.INT, t.BIGINT, t.TINYINT):
        return "BIGINT"
    if kind in (t.DECIMAL, t.BIGDECIMAL):
        return "DECIMAL(38,9)"
    if kind == t.BOOLEAN:
        return "BOOLEAN"
    if kind in (t.BINARY, t.VARBINARY):
        return "BLOB"
    if kind in (t.TIMESTAMP, t.DATETIME):
        return "TIMESTAMP"
    if kind == t.TIMESTAMPTZ:
        return "TIMESTAMP WITH TIME ZONE"
    if kind == t.DATE:
        return "DATE"
    if kind in (t.DOUBLE, t.FLOAT):
        return "DOUBLE"
    return "VARCHAR"


def raw_columns(sql_dir: Path) -> Columns:
    """Columns of every raw table described in `sql_dir/source/*.sql` (empty if none)."""
    found: Columns = {}
    for path in sorted((sql_dir / "source").glob("*.sql")):
        try:
            statements = sqlglot.parse(path.read_text(encoding="utf-8"), read="postgres")
        except SqlglotError:
            continue
        for statement in statements:
            if not isinstance(statement, exp.Create) or statement.kind != "TABLE":
                continue
            schema = statement.this
            if not isinstance(schema, exp.Schema) or not isinstance(schema.this, exp.Table):
                continue
            table = schema.this
            columns = {
                col.name: _raw_type(col.kind) if isinstance(col.kind, exp.DataType) else "VARCHAR"
                for col in schema.expressions
                if isinstance(col, exp.ColumnDef)
            }
            found[f"raw.{table.db}_{table.name}"] = {**columns, **_LOADER_COLUMNS}
    return found


def project_columns(project: Project, known: Columns | None = None) -> Columns:
    """Columns of raw tables and of every node, computed in build order.

    Args:
        project: the loaded project.
        known: extra table columns (e.g. read from a warehouse); win over the DDL.

    Returns:
        `layer.name` -> columns; a model whose columns cannot be resolved is left out.
    """
    columns: Columns = {**raw_columns(project.sql_dir), **(known or {})}
    for key in build_dag(project).order():
        names = select_columns(project.nodes[key].ast, columns)
        if names:
            columns[key] = dict.fromkeys(names, "")
    return columns


def select_columns(ast: exp.Expr, columns: Columns) -> tuple[str, ...]:
    """The output column names of a query over tables of known columns.

    Args:
        ast: the query (left unchanged).
        columns: `layer.name` -> columns of the tables it may read.

    Returns:
        Its column names; empty when they cannot be resolved (e.g. `*` over an unknown table).

    >>> select_columns(sqlglot.parse_one("select a, b as c from marts.t"), {"marts.t": {"a": ""}})
    ('a', 'c')
    """
    try:
        qualified = qualify(
            ast.copy(),
            schema=sqlglot_schema(columns),
            dialect=DIALECT,
            validate_qualify_columns=False,
        )
    except SqlglotError:
        return ()
    names = qualified.named_selects if isinstance(qualified, exp.Query) else []
    return () if "*" in names else tuple(names)


def sqlglot_schema(columns: Columns) -> dict[str, object]:
    """The nested {db: {table: {column: type}}} mapping sqlglot's optimizer expects."""
    nested: dict[str, dict[str, dict[str, str]]] = {}
    for key, cols in columns.items():
        layer, name = key.split(".", 1)
        nested.setdefault(layer, {})[name] = {c: "STRING" for c in cols}
    return dict(nested)
