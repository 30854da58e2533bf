"""Transforms: SQL models in BigQuery dialect, run on DuckDB or BigQuery, with checks and lineage.

Public API (imported lazily, so `import adventure_elt` stays fast)::

    transform(settings, select=None, full_refresh=False, progress=None, sql_dir=None)
    run_checks(settings, select=None, sql_dir=None)
    compile_model(name, target="duckdb", sql_dir=None) / compile_all(target="duckdb", sql_dir=None)
    column_lineage("fct_sales.line_total", sql_dir=None)
    run_model_unit_tests(paths, sql_dir=None)
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adventure_elt.progress import ProgressCallback
    from adventure_elt.settings import Settings
    from adventure_elt.transform.checks import CheckReport, CheckResult, run_checks
    from adventure_elt.transform.compile import compile_all, compile_model, compile_query
    from adventure_elt.transform.lineage import LineageNode, column_lineage
    from adventure_elt.transform.lint import (
        LintIssue,
        PortabilityError,
        check_portability,
        lint_sql,
    )
    from adventure_elt.transform.project import Node, Project, load_project
    from adventure_elt.transform.run import ModelRun, TransformSummary
    from adventure_elt.transform.unittests import (
        UnitTestResult,
        run_model_unit_test,
        run_model_unit_tests,
    )

_LAZY = {
    "CheckReport": "checks",
    "CheckResult": "checks",
    "run_checks": "checks",
    "compile_all": "compile",
    "compile_model": "compile",
    "compile_query": "compile",
    "LineageNode": "lineage",
    "column_lineage": "lineage",
    "LintIssue": "lint",
    "PortabilityError": "lint",
    "check_portability": "lint",
    "lint_sql": "lint",
    "Node": "project",
    "Project": "project",
    "load_project": "project",
    "ModelRun": "run",
    "TransformSummary": "run",
    "UnitTestResult": "unittests",
    "run_model_unit_test": "unittests",
    "run_model_unit_tests": "unittests",
}

__all__ = [
    "CheckReport",
    "CheckResult",
    "LineageNode",
    "LintIssue",
    "ModelRun",
    "Node",
    "PortabilityError",
    "Project",
    "TransformSummary",
    "UnitTestResult",
    "check_portability",
    "column_lineage",
    "compile_all",
    "compile_model",
    "compile_query",
    "lint_sql",
    "load_project",
    "run_checks",
    "run_model_unit_test",
    "run_model_unit_tests",
    "transform",
]


def transform(
    settings: Settings,
    select: str | Sequence[str] | None = None,
    full_refresh: bool = False,
    progress: ProgressCallback | None = None,
    sql_dir: Path | None = None,
) -> TransformSummary:
    """Build the selected models (all by default) and seeds in dependency order.

    See `adventure_elt.transform.run.transform` for the details.
    """
    from adventure_elt.transform.run import transform as run_transform

    return run_transform(
        settings, select=select, full_refresh=full_refresh, progress=progress, sql_dir=sql_dir
    )


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f"adventure_elt.transform.{_LAZY[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'adventure_elt.transform' has no attribute {name!r}")
