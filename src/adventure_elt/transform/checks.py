"""Data checks declared in `_models.yml`: not_null, unique, relationships, accepted_values, SQL.

Every check is a query returning the offending rows (zero rows = pass), written in BigQuery SQL
and compiled like a model, so it runs the same on both engines. A failure keeps up to
`SAMPLE_ROWS` offending rows to show: the model's key and the tested column, not every column.
As in dbt, a check declared `severity: warn` that finds rows is a warning, not a failure; with
`store_failures` the offending rows of every check that found some land in `audit.<check>`.
"""

from __future__ import annotations

import re
import time
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
AUDIT_LAYER = "audit"  # where --store-failures writes the offending rows, one table per check


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
    severity: str = "error"
    seconds: float = 0.0
    stored_in: str | None = None

    @property
    def passed(self) -> bool:
        """True when the check ran and found no offending row."""
        return self.error is None and self.failures == 0

    @property
    def status(self) -> str:
        """`pass`, `warn` (a `severity: warn` check found rows) or `error` (found rows, or could
        not run: a check that cannot run is an error whatever its severity, as in dbt)."""
        if self.passed:
            return "pass"
        return "warn" if self.error is None and self.severity == "warn" else "error"

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
            "severity": self.severity,
            "status": self.status,
            "passed": self.passed,
            "failures": self.failures,
            "seconds": round(self.seconds, 3),
            "sample": [{k: _jsonable(v) for k, v in row.items()} for row in self.sample],
            "error": self.error,
            "stored_in": self.stored_in,
        }


@dataclass
class CheckReport:
    """Every check that ran, in model build order."""

    results: list[CheckResult]

    @property
    def passed(self) -> bool:
        """True when no check failed (warnings do not fail a run, as in dbt)."""
        return not self.failed

    @property
    def failed(self) -> list[CheckResult]:
        """The checks of status `error`: found offending rows, or could not run."""
        return [r for r in self.results if r.status == "error"]

    @property
    def warned(self) -> list[CheckResult]:
        """The `severity: warn` checks that found offending rows."""
        return [r for r in self.results if r.status == "warn"]

    def counts(self) -> dict[str, int]:
        """How many checks passed, warned and failed (dbt's `PASS=n WARN=n ERROR=n`).

        >>> CheckReport([CheckResult("m", "c", "sql", None, 0)]).counts()
        {'pass': 1, 'warn': 0, 'error': 0}
        """
        failed, warned = len(self.failed), len(self.warned)
        return {"pass": len(self.results) - failed - warned, "warn": warned, "error": failed}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary and results."""
        return {
            "passed": self.passed,
            "checks": len(self.results),
            "failed": len(self.failed),
            "warned": len(self.warned),
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


def key_columns(node: Node) -> tuple[str, ...]:
    """The columns that identify a model's row: its `unique_key`, else its `unique` columns.

    A failure sample shows these and the tested column, which is what a reader needs to find
    the row (not every column of a wide fact, cut to `…`). Empty when the model declares none.
    """
    if node.config.unique_key:
        return node.config.unique_key
    return tuple(t.column for t in node.config.column_tests if t.kind == "unique")[:1]


def _identifying(node: Node, column: str, alias: str = "") -> str:
    """`key, …, column` (prefixed by `alias.`), or `*` when the model declares no key."""
    keys = key_columns(node)
    if not keys:
        return f"{alias}.*" if alias else "*"
    names = [*keys, *([column] if column not in keys else [])]
    return ", ".join(f"{alias}.{name}" if alias else name for name in names)


def column_check_sql(project: Project, node: Node, test: ColumnTest) -> str:
    """The BigQuery query returning the rows that break a column test."""
    model, col = node.key, test.column
    if test.kind == "not_null":
        return f"select {_identifying(node, col)} from {model} where {col} is null"
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
            f"select {_identifying(node, col, 'child')} from {model} as child"
            f" where child.{col} is not null and not exists"
            f" (select 1 from {parent} as parent where parent.{field_name} = child.{col})"
        )
    raise AdventureEltError(f"unknown check kind {test.kind!r}")


def _check_name(test: ColumnTest) -> str:
    if test.kind == "relationships":
        return f"relationships({test.column} → {test.params['to']}.{test.params['field']})"
    return f"{test.kind}({test.column})"


@dataclass(frozen=True)
class DeclaredCheck:
    """One check as `_models.yml` declares it, with the BigQuery SQL of its offending rows."""

    name: str
    kind: str
    column: str | None
    sql: str
    severity: str = "error"


def declared_checks(project: Project, node: Node) -> list[DeclaredCheck]:
    """Every check declared for `node`: column tests first, then the model's SQL tests."""
    found = [
        DeclaredCheck(
            _check_name(t), t.kind, t.column, column_check_sql(project, node, t), t.severity
        )
        for t in node.config.column_tests
    ]
    found += [DeclaredCheck(t.name, "sql", None, t.sql, t.severity) for t in node.config.sql_tests]
    return found


def audit_table(model: str, check: str) -> str:
    """The `audit` table `--store-failures` writes a check's offending rows to.

    >>> audit_table("marts.fct_orders", "relationships(customer_key → marts.dim_customer.key)")
    'fct_orders__relationships_customer_key_marts_dim_customer_key'
    """
    words = re.sub(r"[^a-z0-9]+", "_", check.lower()).strip("_")
    return f"{model.split('.')[-1]}__{words}"


def run_checks(
    settings: Settings,
    select: str | Sequence[str] | None = None,
    sql_dir: Path | None = None,
    progress: ProgressCallback | None = None,
    store_failures: bool = False,
) -> CheckReport:
    """Run the checks of the selected models (all by default) against the warehouse.

    Args:
        settings: which warehouse to read.
        select: dbt-like selection (`fct_sales+`, …); None = every model and seed.
        sql_dir: the `sql/` folder (default: the project's).
        progress: optional callback, one event per checked model.
        store_failures: also write each check's offending rows to `audit.<model>__<check>`
            (dbt's `--store-failures`); a check that finds none leaves an empty table, so no
            table holds rows of an earlier run.

    Returns:
        A CheckReport; it does not raise on failures (the CLI exits 1 when `not report.passed`).
        The outcomes are also appended to `ops.check_results` (see `check_log`).
    """
    from adventure_elt.warehouse import open_warehouse

    project = load_project(sql_dir)
    keys = _selected(project, select)
    results: list[CheckResult] = []
    with open_warehouse(settings, read_only=not store_failures) as wh:
        if store_failures:
            wh.create_layer(AUDIT_LAYER)
        for i, key in enumerate(keys):
            node = project.nodes[key]
            checks = declared_checks(project, node)
            if store_failures:  # each check's rows go to a table of their own
                results.extend(_run_one(wh, node, check, store=True) for check in checks)
            else:
                results.extend(_run_model_checks(wh, node, checks))
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


def counts_sql(checks: Sequence[str]) -> str:
    """One query counting the offending rows of several checks: a row (index, count) each.

    A model's checks are counted together: one query instead of one per check, which on
    BigQuery is one job (about a second of latency each) instead of up to twenty.

    >>> print(counts_sql(["select 1 as k", "select 2 as k"]))
    select 0 as check_index, count(*) as failures from (
    select 1 as k
    ) as offending
    union all
    select 1 as check_index, count(*) as failures from (
    select 2 as k
    ) as offending
    """
    return "\nunion all\n".join(
        f"select {i} as check_index, count(*) as failures from (\n{sql}\n) as offending"
        for i, sql in enumerate(checks)
    )


def _selected(project: Project, selection: str | Sequence[str] | None) -> list[str]:
    return select(project, build_dag(project), selection)


def _run_model_checks(wh: Any, node: Node, checks: list[DeclaredCheck]) -> list[CheckResult]:
    """A model's checks, counted by one query; one by one when that query fails, so each
    check that cannot run reports its own error. `seconds` is then the shared query's time."""
    if not checks:
        return []
    started = time.perf_counter()
    try:
        compiled = [compile_query(check.sql, wh.dialect, wh.relation) for check in checks]
        counts = dict(wh.fetch_all(counts_sql(compiled)))
    except Exception:  # a check that does not parse or cannot run: each on its own names it
        return [_run_one(wh, node, check, store=False) for check in checks]
    seconds = time.perf_counter() - started
    results = []
    for i, (check, sql) in enumerate(zip(checks, compiled, strict=True)):
        try:
            sample = _sample(wh, sql, counts[i])
        except Exception as exc:  # the engine's own error is the message
            results.append(_result(node, check, seconds, 0, sql, error=first_line(exc)))
            continue
        results.append(_result(node, check, seconds, int(counts[i]), sql, sample=sample))
    return results


def _run_one(wh: Any, node: Node, check: DeclaredCheck, store: bool) -> CheckResult:
    started = time.perf_counter()

    def result(failures: int, sql: str, error: str | None = None, **more: Any) -> CheckResult:
        seconds = time.perf_counter() - started
        return _result(node, check, seconds, failures, sql, error, **more)

    try:
        sql = compile_query(check.sql, wh.dialect, wh.relation)
    except Exception as exc:  # a malformed SQL check is reported, not fatal for the others
        return result(0, check.sql, f"cannot parse: {exc}")
    try:
        stored_in, offending = None, sql
        if store:
            table = audit_table(node.key, check.name)
            wh.replace_table(AUDIT_LAYER, table, sql)
            stored_in = f"{AUDIT_LAYER}.{table}"
            offending = f"select * from {wh.relation(AUDIT_LAYER, table)}"  # what was stored
        (count,) = wh.fetch_all(count_sql(offending))[0]
        sample = _sample(wh, offending, count)
    except Exception as exc:  # the engine's own error (missing table, bad column) is the message
        return result(0, sql, first_line(exc))
    return result(int(count), sql, sample=sample, stored_in=stored_in)


def _sample(wh: Any, offending: str, count: int) -> list[dict[str, Any]]:
    """Up to `SAMPLE_ROWS` of a failed check's offending rows (none when it passed)."""
    if not count:
        return []
    rows: list[dict[str, Any]] = wh.fetch_arrow(
        f"select * from (\n{offending}\n) as offending limit {SAMPLE_ROWS}"
    ).to_pylist()
    return rows


def _result(
    node: Node,
    check: DeclaredCheck,
    seconds: float,
    failures: int,
    sql: str,
    error: str | None = None,
    **more: Any,
) -> CheckResult:
    return CheckResult(
        node.key,
        check.name,
        check.kind,
        check.column,
        failures,
        sql=sql,
        error=error,
        severity=check.severity,
        seconds=seconds,
        **more,
    )
