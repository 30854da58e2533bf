"""Data checks declared in `_models.yml`: not_null, unique, relationships, accepted_values, SQL.

Every check is a query returning the offending rows (zero rows = pass), written in BigQuery SQL
and compiled like a model, so it runs the same on both engines. A failure keeps up to
`SAMPLE_ROWS` offending rows to show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlglot import exp

from adventure_elt.errors import AdventureEltError, first_line
from adventure_elt.progress import ProgressCallback, ProgressEvent
from adventure_elt.settings import Settings
from adventure_elt.transform.check_log import RecordedCheck, record_checks
from adventure_elt.transform.compile import compile_query
from adventure_elt.transform.dag import build_dag, select
from adventure_elt.transform.project import ColumnTest, Node, Project, load_project

SAMPLE_ROWS = 5


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check on one model."""

    model: str
    name: str
    kind: str
    column: str | None
    failures: int
    sample: list[dict[str, Any]] = field(default_factory=list)
    sql: str = ""
    error: str | None = None

    @property
    def passed(self) -> bool:
        """True when the check ran and found no offending row."""
        return self.error is None and self.failures == 0

    def recorded(self, checked_at: datetime) -> RecordedCheck:
        """The outcome as `ops.check_results` keeps it."""
        return RecordedCheck(
            checked_at=checked_at,
            model=self.model,
            check_name=self.name,
            kind=self.kind,
            column_name=self.column,
            passed=self.passed,
            failures=self.failures,
            error=self.error,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (values of samples as strings when not JSON types)."""
        return {
            "model": self.model,
            "check": self.name,
            "kind": self.kind,
            "column": self.column,
            "passed": self.passed,
            "failures": self.failures,
            "sample": [{k: _jsonable(v) for k, v in row.items()} for row in self.sample],
            "error": self.error,
        }


@dataclass
class CheckReport:
    """Every check that ran, in model build order."""

    results: list[CheckResult]

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(r.passed for r in self.results)

    @property
    def failed(self) -> list[CheckResult]:
        """The checks that failed or could not run."""
        return [r for r in self.results if not r.passed]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary and results."""
        return {
            "passed": self.passed,
            "checks": len(self.results),
            "failed": len(self.failed),
            "results": [r.to_dict() for r in self.results],
        }


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return exp.Literal.string(str(value)).sql("bigquery")


def column_check_sql(project: Project, node: Node, test: ColumnTest) -> str:
    """The BigQuery query returning the rows that break a column test."""
    model, col = node.key, test.column
    if test.kind == "not_null":
        return f"select * from {model} where {col} is null"
    if test.kind == "unique":
        return (
            f"select {col}, count(*) as n_rows from {model} where {col} is not null"
            f" group by {col} having count(*) > 1"
        )
    if test.kind == "accepted_values":
        values = ", ".join(_literal(v) for v in test.params["values"])
        return (
            f"select {col}, count(*) as n_rows from {model}"
            f" where {col} is not null and {col} not in ({values}) group by {col}"
        )
    if test.kind == "relationships":
        parent = project.resolve(str(test.params["to"])).key
        field_name = test.params["field"]
        return (
            f"select * from {model} as child where child.{col} is not null and not exists"
            f" (select 1 from {parent} as parent where parent.{field_name} = child.{col})"
        )
    raise AdventureEltError(f"unknown check kind {test.kind!r}")


def _check_name(test: ColumnTest) -> str:
    if test.kind == "relationships":
        return f"relationships({test.column} → {test.params['to']}.{test.params['field']})"
    return f"{test.kind}({test.column})"


def checks_for(project: Project, node: Node) -> list[tuple[str, str, str | None, str]]:
    """(name, kind, column, BigQuery SQL) of every check declared for `node`."""
    found: list[tuple[str, str, str | None, str]] = []
    for test in node.config.column_tests:
        found.append(
            (_check_name(test), test.kind, test.column, column_check_sql(project, node, test))
        )
    for sql_test in node.config.sql_tests:
        found.append((sql_test.name, "sql", None, sql_test.sql))
    return found


def run_checks(
    settings: Settings,
    select: str | Sequence[str] | None = None,
    sql_dir: Path | None = None,
    progress: ProgressCallback | None = None,
) -> CheckReport:
    """Run the checks of the selected models (all by default) against the warehouse.

    Args:
        settings: which warehouse to read.
        select: dbt-like selection (`fct_sales+`, …); None = every model and seed.
        sql_dir: the `sql/` folder (default: the project's).
        progress: optional callback, one event per checked model.

    Returns:
        A CheckReport; it does not raise on failures (the CLI exits 1 when `not report.passed`).
        The outcomes are also appended to `ops.check_results` (see `check_log`).
    """
    from adventure_elt.warehouse import open_warehouse

    project = load_project(sql_dir)
    keys = _selected(project, select)
    results: list[CheckResult] = []
    with open_warehouse(settings, read_only=True) as wh:
        for i, key in enumerate(keys):
            node = project.nodes[key]
            for name, kind, column, sql in checks_for(project, node):
                results.append(_run_one(wh, node, name, kind, column, sql))
            if progress is not None:
                progress(ProgressEvent("checks", done=i + 1, total=len(keys), message=key))
    if progress is not None:
        progress(ProgressEvent("checks", done=len(keys), total=len(keys), finished=True))
    checked_at = datetime.now(UTC)
    record_checks(settings, [result.recorded(checked_at) for result in results])
    return CheckReport(results)


def count_sql(sql: str) -> str:
    """The query counting a check's offending rows (what `test` runs first)."""
    return f"select count(*) from (\n{sql}\n) as offending"


def _selected(project: Project, selection: str | Sequence[str] | None) -> list[str]:
    return select(project, build_dag(project), selection)


def _run_one(
    wh: Any, node: Node, name: str, kind: str, column: str | None, bq_sql: str
) -> CheckResult:
    def result(failures: int, sql: str, error: str | None = None, sample: Any = ()) -> CheckResult:
        return CheckResult(node.key, name, kind, column, failures, list(sample), sql, error)

    try:
        sql = compile_query(bq_sql, wh.dialect, wh.relation)
    except Exception as exc:  # a malformed SQL check is reported, not fatal for the others
        return result(0, bq_sql, f"cannot parse: {exc}")
    try:
        (count,) = wh.fetch_all(count_sql(sql))[0]
        sample: list[dict[str, Any]] = []
        if count:
            sample = wh.fetch_arrow(
                f"select * from (\n{sql}\n) as offending limit {SAMPLE_ROWS}"
            ).to_pylist()
    except Exception as exc:  # the engine's own error (missing table, bad column) is the message
        return result(0, sql, first_line(exc))
    return result(int(count), sql, None, sample)
