"""Model unit tests in YAML (SQLMesh style), run on an in-memory DuckDB.

A test file names one model, gives input rows per upstream table and the expected output rows::

    model: marts.dim_customer
    inputs:
      staging.stg_sales__customers: [{customer_id: 1, person_id: 10, store_id: null}]
    expected:
      - {customer_id: 1, customer_name: Ana Bell}

Upstream columns left out of the inputs are NULL (typed from the source DDL for raw tables); a seed
left out is loaded from its CSV; an upstream left out entirely is an empty table. Expected rows
are compared on the columns they list only, ignoring order; numbers compare by value (1 = 1.0).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from adventure_elt.errors import ModelError
from adventure_elt.transform.compile import compile_node
from adventure_elt.transform.project import Node, Project, load_project
from adventure_elt.transform.schema import Columns, project_columns

_SHOWN = 5


@dataclass
class UnitTestResult:
    """The outcome of one YAML unit test."""

    path: Path
    model: str
    passed: bool
    message: str = ""
    actual: list[dict[str, Any]] = field(default_factory=list)

    def __str__(self) -> str:
        state = "passed" if self.passed else "FAILED"
        return f"{self.path}: {self.model} {state}" + (f": {self.message}" if self.message else "")


def run_model_unit_tests(
    paths: Path | str | Iterable[Path | str], sql_dir: Path | None = None
) -> list[UnitTestResult]:
    """Run YAML unit tests: each file, or every `*.yml`/`*.yaml` in a folder.

    Args:
        paths: test files or folders.
        sql_dir: the `sql/` folder holding the models (default: the project's).

    Returns:
        One result per file, in path order; a malformed file raises ModelError.
    """
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    files: list[Path] = []
    for item in map(Path, items):
        if item.is_dir():
            files.extend(sorted([*item.glob("*.yml"), *item.glob("*.yaml")]))
        else:
            files.append(item)
    project = load_project(sql_dir)
    columns = project_columns(project)
    return [run_model_unit_test(f, project=project, columns=columns) for f in files]


def run_model_unit_test(
    path: Path | str,
    sql_dir: Path | None = None,
    *,
    project: Project | None = None,
    columns: Columns | None = None,
) -> UnitTestResult:
    """Run one YAML unit test file (see the module docstring for the format)."""
    import duckdb

    path = Path(path)
    project = project or load_project(sql_dir)
    columns = columns if columns is not None else project_columns(project)
    spec = _read(path)
    node = project.resolve(str(spec["model"]))
    inputs: Mapping[str, Any] = spec.get("inputs") or {}
    expected: list[dict[str, Any]] = list(spec.get("expected") or [])
    given = {_input_key(project, str(k), path): v for k, v in inputs.items()}
    for key in given:
        if key not in (*node.depends_on, *node.sources):
            raise ModelError(f"{path}: {node.key} does not read {key}; remove it from inputs")
    con = duckdb.connect(":memory:")
    try:
        for key in (*node.depends_on, *node.sources):
            _create_input(con, project, key, given.get(key), columns.get(key, {}), path)
        sql = compile_node(node, "duckdb")
        try:
            result: Any = con.sql(sql).to_arrow_table()
            actual: list[dict[str, Any]] = result.to_pylist()
        except duckdb.Error as exc:
            return UnitTestResult(path, node.key, False, f"the model failed: {exc}")
    finally:
        con.close()
    return _compare(path, node.key, expected, actual)


def _read(path: Path) -> dict[str, Any]:
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ModelError(f"{path}: cannot read the unit test: {exc}") from None
    if not isinstance(spec, dict) or "model" not in spec or "expected" not in spec:
        raise ModelError(f"{path}: a unit test needs `model:`, `inputs:` and `expected:`")
    return spec


def _input_key(project: Project, name: str, path: Path) -> str:
    if name.split(".", 1)[0] in ("raw", "ops"):
        return name
    try:
        return project.resolve(name).key
    except ModelError as exc:
        raise ModelError(f"{path}: input {name!r}: {exc}") from None


def _create_input(
    con: Any,
    project: Project,
    key: str,
    rows: list[dict[str, Any]] | None,
    known: Mapping[str, str],
    path: Path,
) -> None:
    layer, name = key.split(".", 1)
    con.execute(f'create schema if not exists "{layer}"')
    relation = f'"{layer}"."{name}"'
    node: Node | None = project.nodes.get(key)
    if rows is None and node is not None and node.is_seed:
        con.execute(f"create table {relation} as {compile_node(node, 'duckdb')}")
        return
    rows = list(rows or [])
    given: list[str] = list(dict.fromkeys(k for row in rows for k in row))
    if not given and not known:
        raise ModelError(f"{path}: give at least one row (or column) for input {key}")
    selects = []
    for col in given:
        sql_type = known.get(col)
        selects.append(f'cast("{col}" as {sql_type}) as "{col}"' if sql_type else f'"{col}"')
    for col, sql_type in known.items():
        if col not in given:
            selects.append(f'cast(null as {sql_type or "VARCHAR"}) as "{col}"')
    if given:
        table = pa.Table.from_pylist([{c: row.get(c) for c in given} for row in rows])
        con.register("unit_test_input", table)
        con.execute(f"create table {relation} as select {', '.join(selects)} from unit_test_input")
        con.unregister("unit_test_input")
    else:
        con.execute(f"create table {relation} as select {', '.join(selects)} limit 0")


def _canonical(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        number = round(float(value), 9)
        return int(number) if number.is_integer() else number
    if isinstance(value, dt.datetime | dt.date):
        return str(value)
    return value


def _compare(
    path: Path, model: str, expected: list[dict[str, Any]], actual: list[dict[str, Any]]
) -> UnitTestResult:
    wanted = list(dict.fromkeys(k for row in expected for k in row))
    produced = set(actual[0]) if actual else set()
    missing_cols = [c for c in wanted if actual and c not in produced]
    if missing_cols:
        return UnitTestResult(
            path, model, False, f"the model has no column(s) {', '.join(missing_cols)}", actual
        )

    def key(row: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(_canonical(row.get(c)) for c in wanted)

    want = Counter(key(r) for r in expected)
    got = Counter(key(r) for r in actual)
    if want == got:
        return UnitTestResult(path, model, True, actual=actual)
    absent = list((want - got).elements())[:_SHOWN]
    extra = list((got - want).elements())[:_SHOWN]
    parts = [f"expected {len(expected)} row(s), got {len(actual)}"]
    if absent:
        parts.append(
            "missing: " + "; ".join(str(dict(zip(wanted, r, strict=True))) for r in absent)
        )
    if extra:
        parts.append(
            "unexpected: " + "; ".join(str(dict(zip(wanted, r, strict=True))) for r in extra)
        )
    return UnitTestResult(path, model, False, " | ".join(parts), actual)
