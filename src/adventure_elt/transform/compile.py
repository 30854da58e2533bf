"""Turn a model's BigQuery SQL into the SQL the target engine runs.

For DuckDB, sqlglot transpiles the statement, with one correction: BigQuery's plain NUMERIC is
38 digits with 9 decimals, which sqlglot writes as DuckDB's bare DECIMAL (18 digits, 3 decimals);
it is written DECIMAL(38, 9) instead. (Models cannot spell `numeric(38, 9)` themselves: BigQuery
refuses parameterized types in CAST, see the portability lint.) For BigQuery, the file runs as
written; only the `<layer>.<table>` references may be renamed through a `relation(layer, name)`
hook (production datasets are `<prefix>_<layer>`), which is what `Warehouse.relation` provides.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import sqlglot
from sqlglot import TokenType, exp

from adventure_elt.errors import ModelError
from adventure_elt.transform.project import (
    DIALECT,
    MODEL_LAYERS,
    SEED_LAYER,
    SOURCE_LAYERS,
    Node,
    load_project,
)
from adventure_elt.transform.references import table_references

Target = Literal["duckdb", "bigquery"]
TARGETS: tuple[Target, ...] = ("duckdb", "bigquery")
RelationFn = Callable[[str, str], str]

_LAYERS = (*SOURCE_LAYERS, SEED_LAYER, *MODEL_LAYERS)
# BigQuery's NUMERIC: 38 digits of precision, 9 of them decimals
# https://cloud.google.com/bigquery/docs/reference/standard-sql/data-types#decimal_types
BIGQUERY_NUMERIC = (38, 9)


def _check_target(target: str) -> Target:
    if target not in TARGETS:
        raise ModelError(f"unknown target {target!r}; use duckdb or bigquery")
    return "duckdb" if target == "duckdb" else "bigquery"


def compile_query(
    sql: str | exp.Expr, target: str = "duckdb", relation: RelationFn | None = None
) -> str:
    """Compile one BigQuery query (a model, or a check's SQL) for `target`.

    Args:
        sql: BigQuery SQL text or an already parsed statement (not modified).
        target: `duckdb` (transpile) or `bigquery` (as written unless `relation` renames tables).
        relation: maps (layer, table) to the relation to use in SQL, e.g. `Warehouse.relation`.

    Returns:
        The SQL to run.

    >>> print(compile_query("select cast(x as numeric) as x from raw.t", "duckdb"))
    SELECT
      CAST(x AS DECIMAL(38, 9)) AS x
    FROM raw.t
    """
    target = _check_target(target)
    if isinstance(sql, str):
        sql = _without_final_semicolon(sql)
        if target == "bigquery":
            # never regenerate BigQuery SQL: the file is what was reviewed (and sqlglot's writer
            # does not round-trip every construct), so it runs as written with its tables renamed
            return sql if relation is None else _rename_in_text(sql, relation)
    ast = sqlglot.parse_one(sql, read=DIALECT) if isinstance(sql, str) else sql.copy()
    if relation is not None:
        _rename_tables(ast, target, relation)
    if target == "duckdb":
        _pin_numeric(ast)
    return ast.sql(dialect=target, pretty=True)


def _pin_numeric(ast: exp.Expr) -> None:
    """Give every plain NUMERIC/DECIMAL BigQuery's precision and scale, (38, 9)."""
    for data_type in ast.find_all(exp.DataType):
        if data_type.this == exp.DataType.Type.DECIMAL and not data_type.expressions:
            data_type.set(
                "expressions",
                [exp.DataTypeParam(this=exp.Literal.number(n)) for n in BIGQUERY_NUMERIC],
            )


def _rename_tables(ast: exp.Expr, target: Target, relation: RelationFn) -> None:
    for table in table_references(ast):
        if table.db not in _LAYERS:
            continue
        replacement = exp.to_table(relation(table.db, table.name), dialect=target)
        alias = table.args.get("alias")
        if alias is None and replacement.name != table.name:
            # keep column qualifiers like `sales_customer.customerid` valid
            alias = exp.TableAlias(this=exp.to_identifier(table.name))
        replacement.set("alias", alias)
        table.replace(replacement)


def _without_final_semicolon(sql: str) -> str:
    """The statement without the `;` that ends it (comments stay): the text is wrapped
    (`create … as (…)`, a check's `select count(*) from (…)`), where the engines refuse it
    (sqlglot writes a `;` followed by a comment back too).

    >>> _without_final_semicolon("select 1 as k;; -- done")
    'select 1 as k -- done'
    >>> _without_final_semicolon("select ';' as k")
    "select ';' as k"
    """
    tokens = sqlglot.tokenize(sql, read=DIALECT)
    while tokens and tokens[-1].token_type == TokenType.SEMICOLON:
        semicolon = tokens.pop()
        sql = sql[: semicolon.start] + sql[semicolon.end + 1 :]
    return sql


def _rename_in_text(sql: str, relation: RelationFn) -> str:
    """Swap `<layer>.<table>` references for `relation(layer, table)` in the original text.

    The relation may also be a parenthesized query (`bigquery-check` stands one in for a table
    not built yet); it is then aliased with the table's name, like a renamed table.
    """
    ast = sqlglot.parse_one(sql, read=DIALECT)
    edits: list[tuple[int, int, str]] = []
    for table in table_references(ast):
        parts = [p for p in (table.args.get("db"), table.args.get("this")) if p is not None]
        if table.db not in _LAYERS or any("start" not in p.meta for p in parts):
            continue
        start = min(p.meta["start"] for p in parts)
        end = max(p.meta["end"] for p in parts) + 1
        if start > 0 and sql[start - 1] == "`" and end < len(sql) and sql[end] == "`":
            start, end = start - 1, end + 1
        text = relation(table.db, table.name)
        if table.args.get("alias") is None and (
            text.startswith("(") or exp.to_table(text, dialect="bigquery").name != table.name
        ):
            text += f" as {table.name}"
        edits.append((start, end, text))
    for start, end, text in sorted(edits, reverse=True):
        sql = sql[:start] + text + sql[end:]
    return sql


def compile_node(node: Node, target: str = "duckdb", relation: RelationFn | None = None) -> str:
    """The SQL that builds `node` on `target` (no lint; see `compile_model`)."""
    if _check_target(target) == "bigquery":
        return compile_query(node.sql, target, relation)
    return compile_query(node.ast, target, relation)


def compile_model(
    name: str,
    target: str = "duckdb",
    sql_dir: Path | None = None,
    relation: RelationFn | None = None,
) -> str:
    """The SQL that `transform` would run for one model, after the portability lint.

    Args:
        name: model or seed name (`fct_sales` or `marts.fct_sales`).
        target: `duckdb` or `bigquery`.
        sql_dir: the `sql/` folder (default: the project's).
        relation: optional (layer, table) → relation hook (see `compile_query`).

    Returns:
        SQL text; raises ModelError (file:line) on unknown names, syntax or portability errors.
    """
    from adventure_elt.transform.lint import check_portability

    project = load_project(sql_dir)
    node = project.resolve(name)
    check_portability(project, [node.key])
    return compile_node(node, target, relation)


def compile_all(
    target: str = "duckdb", sql_dir: Path | None = None, relation: RelationFn | None = None
) -> dict[str, str]:
    """Every model's compiled SQL by model name, in build order (seeds left out).

    Golden tests pin this output: one expected file per model.
    """
    from adventure_elt.transform.dag import build_dag
    from adventure_elt.transform.lint import check_portability

    project = load_project(sql_dir)
    check_portability(project)
    order = build_dag(project).order()
    return {
        project.nodes[k].name: compile_node(project.nodes[k], target, relation)
        for k in order
        if not project.nodes[k].is_seed
    }
