"""Every model and seed, compiled for BigQuery, is SQL that BigQuery accepts where the emulator
is lenient: no parameterized type (`NUMERIC(38, 9)`, `STRING(10)`) anywhere in a query.

BigQuery allows type parameters only on columns and script variables and refuses them in CAST
("Parameterized types are not allowed in CAST expressions",
https://cloud.google.com/bigquery/docs/reference/standard-sql/data-types#parameterized_data_types);
the emulator and DuckDB accept them, so only this test would notice. It reads the compiled SQL
with sqlglot's own BigQuery parser, independently of the portability lint that enforces the rule.
"""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from adventure_elt.transform import compile_all, load_project
from adventure_elt.transform.compile import compile_node


def _production_relation(layer: str, name: str) -> str:
    return f"`acme-prod.adventure_{layer}.{name}`"


def _parameterized_types(sql: str) -> list[str]:
    ast = sqlglot.parse_one(sql, read="bigquery")
    return [
        node.sql(dialect="bigquery")
        for node in ast.find_all(exp.DataType)
        if any(isinstance(e, exp.DataTypeParam) for e in node.expressions)
    ]


COMPILED = compile_all("bigquery", relation=_production_relation)


@pytest.mark.parametrize("model", sorted(COMPILED))
def test_compiled_model_has_no_parameterized_type(model: str) -> None:
    sql = COMPILED[model]
    assert "acme-prod.adventure_" in sql or "from" not in sql.lower()
    assert _parameterized_types(sql) == []


def test_every_seed_compiles_without_parameterized_types() -> None:
    project = load_project()
    seeds = [node for node in project.nodes.values() if node.is_seed]
    assert seeds
    for node in seeds:
        assert _parameterized_types(compile_node(node, "bigquery", _production_relation)) == []


def test_the_check_sees_a_parameterized_cast() -> None:
    """The detector itself is sharp (else the tests above could never fail)."""
    assert _parameterized_types("select cast(x as numeric(38, 9)) as x") == ["NUMERIC(38, 9)"]
    assert _parameterized_types("select safe_cast(x as string(10)) as x") == ["STRING(10)"]
    assert _parameterized_types("select cast(x as numeric) as x") == []
