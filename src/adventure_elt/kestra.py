"""Kestra outputs and metrics from the results the library returns.

In a Kestra `io.kestra.plugin.scripts.python.Script` task, a `publish_*` call turns one result
into task outputs, which later tasks read as `{{ outputs.<task id>.vars.<name> }}` (in `runIf`,
a `Fail` condition or a message), and metrics (counters and timers, in seconds) that Kestra
charts across executions. `adventure-elt --kestra <command>` calls the same functions, so
`Commands` tasks publish too.

The official `kestra` package (the `kestra` extra: `pip install 'adventure-elt[kestra]'`) prints
them as the `::{...}::` lines on stdout that Kestra's script runner reads; nothing here writes
that format by hand. Kestra merges the outputs of every line a task prints, so the names below
never repeat across publishers: `publish_run` sends all of them in one task.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from adventure_elt.errors import ConfigError

if TYPE_CHECKING:
    from adventure_elt.pipeline import RunResult
    from adventure_elt.replicate.reconcile import TableReconciliation
    from adventure_elt.replicate.summary import SyncSummary
    from adventure_elt.stream.ingest import IngestCounts
    from adventure_elt.transform.checks import CheckReport
    from adventure_elt.transform.run import TransformSummary


def publish_sync(summary: SyncSummary) -> None:
    """Publish a sync: totals and per-table counts as outputs, per-table counters and timers.

    Outputs: `load_id`, `rows_read`, `rows_written` (inserted + updated), `rows_deleted`,
    `sync_seconds`, and `tables` (`{"sales.customer": {"mode", "read", "inserted", "updated",
    "unchanged", "deleted"}}`). Metrics: counters `rows_read`, `rows_inserted`, `rows_updated`,
    `rows_unchanged`, `rows_deleted` and timer `read_seconds`, each tagged with its `table`;
    timer `sync_seconds` for the whole step.

    Args:
        summary: what `adventure_elt.sync` returned.
    """
    kestra = _kestra()
    kestra.outputs(
        {
            "load_id": summary.load_id,
            "rows_read": sum(t.rows_read for t in summary.tables),
            "rows_written": summary.rows_written,
            "rows_deleted": sum(t.deleted for t in summary.tables),
            "sync_seconds": round(summary.seconds, 3),
            "tables": {
                t.table: {
                    "mode": t.mode,
                    "read": t.rows_read,
                    "inserted": t.inserted,
                    "updated": t.updated,
                    "unchanged": t.unchanged,
                    "deleted": t.deleted,
                }
                for t in summary.tables
            },
        }
    )
    for t in summary.tables:
        tags = {"table": t.table}
        _counters(
            {
                "rows_read": t.rows_read,
                "rows_inserted": t.inserted,
                "rows_updated": t.updated,
                "rows_unchanged": t.unchanged,
                "rows_deleted": t.deleted,
            },
            tags,
        )
        kestra.timer("read_seconds", t.seconds, tags)
    kestra.timer("sync_seconds", summary.seconds)


def publish_transform(summary: TransformSummary) -> None:
    """Publish a transform: models built and seconds.

    Outputs: `models_built`, `transform_seconds`. Metrics: counter `models_built`, timer
    `transform_seconds`, and timer `model_seconds` tagged with each `model`.

    Args:
        summary: what `adventure_elt.transform` returned.
    """
    kestra = _kestra()
    kestra.outputs({"models_built": summary.built, "transform_seconds": round(summary.seconds, 3)})
    kestra.counter("models_built", summary.built)
    for model in summary.models:
        kestra.timer("model_seconds", model.seconds, {"model": model.model})
    kestra.timer("transform_seconds", summary.seconds)


def publish_checks(report: CheckReport) -> None:
    """Publish the data checks: how many ran, passed, warned and failed, and which failed.

    A check that could not run counts as failed; a `severity: warn` check that found rows
    counts as warned, not failed (so a flow's `checks_failed == 0` condition still holds).
    Outputs: `checks`, `checks_passed`, `checks_warned`, `checks_failed`, `failed_checks`
    (`["marts.fct_orders: total_due_is_the_sum", …]`), `warned_checks`. Metrics: counters
    `checks_passed`, `checks_warned` and `checks_failed`.

    Args:
        report: what `adventure_elt.transform.run_checks` returned.
    """
    counts = report.counts()
    _kestra().outputs(
        {
            "checks": len(report.results),
            "checks_passed": counts["pass"],
            "checks_warned": counts["warn"],
            "checks_failed": counts["error"],
            "failed_checks": [f"{r.model}: {r.name}" for r in report.failed],
            "warned_checks": [f"{r.model}: {r.name}" for r in report.warned],
        }
    )
    _counters(
        {
            "checks_passed": counts["pass"],
            "checks_warned": counts["warn"],
            "checks_failed": counts["error"],
        }
    )


def publish_report(document: Mapping[str, Any]) -> None:
    """Publish the report's headline figures as outputs.

    Outputs: `as_of`, `warehouse`, the five figures of `customer_summary` (`orders`,
    `customers_with_orders`, `revenue`, `avg_order_value`, `avg_spend_per_customer`) and
    `headline`, the figures as one sentence. Messages should use `headline`: Pebble prints a
    large number such as `revenue` in scientific notation (`1.098463814E8`).

    Args:
        document: what `adventure_elt.report` returned.
    """
    figures = document["customer_summary"]
    _kestra().outputs(
        {
            "as_of": document["as_of"],
            "warehouse": document["warehouse"],
            **figures,
            "headline": (
                f"{figures['orders']:,} orders from {figures['customers_with_orders']:,}"
                f" customers, revenue {figures['revenue']:,.2f}"
                f" (average order {figures['avg_order_value']:,.2f},"
                f" average per customer {figures['avg_spend_per_customer']:,.2f})"
            ),
        }
    )


def publish_run(result: RunResult) -> None:
    """Publish a pipeline run: its id, status and steps, then what each step published.

    Outputs: `run_id`, `status` (`ok` or `failed`), `steps` (`{"sync": {"status", "attempts",
    "rows", "seconds"}}`), plus the outputs of `publish_sync`, `publish_transform`,
    `publish_checks` and `publish_report` for the steps that ran. Metrics: timer `step_seconds`
    tagged with each `step` (retries included), plus the steps' own.

    Args:
        result: what `adventure_elt.run` returned.
    """
    kestra = _kestra()
    kestra.outputs(
        {
            "run_id": result.run_id,
            "status": "ok" if result.ok else "failed",
            "steps": {
                s.step: {
                    "status": s.status,
                    "attempts": s.attempts,
                    "rows": s.rows,
                    "seconds": round(s.seconds, 3),
                }
                for s in result.steps
            },
        }
    )
    for step in result.steps:
        kestra.timer("step_seconds", step.seconds, {"step": step.step})
    if result.sync is not None:
        publish_sync(result.sync)
    if result.transform is not None:
        publish_transform(result.transform)
    if result.checks is not None:
        publish_checks(result.checks)
    if result.report is not None:
        publish_report(result.report)


def publish_reconcile(results: list[TableReconciliation]) -> None:
    """Publish a reconciliation of the raw layer with the source.

    Outputs: `tables_compared`, `tables_differing`, `differing_tables` (their names). Metrics:
    counters `missing_keys`, `extra_keys`, `differing_rows`, `duplicate_keys` and timer
    `reconcile_seconds`, each tagged with its `table`.

    Args:
        results: what `adventure_elt.replicate.reconcile.reconcile` returned.
    """
    kestra = _kestra()
    differing = [r.table for r in results if not r.clean]
    kestra.outputs(
        {
            "tables_compared": len(results),
            "tables_differing": len(differing),
            "differing_tables": differing,
        }
    )
    for r in results:
        tags = {"table": r.table}
        _counters(
            {
                "missing_keys": r.missing_keys,
                "extra_keys": r.extra_keys,
                "differing_rows": r.differing_rows,
                "duplicate_keys": r.duplicate_keys,
            },
            tags,
        )
        kestra.timer("reconcile_seconds", r.seconds, tags)


def publish_stream(counts: IngestCounts) -> None:
    """Publish what an event stream ingested.

    Outputs and counters: `events_read`, `events_loaded`, `events_duplicates`,
    `events_rejected`, `batches`.

    Args:
        counts: what `adventure_elt.stream.ingest.run_stream` (or `ingest`) returned.
    """
    values = {
        "events_read": counts.read,
        "events_loaded": counts.loaded,
        "events_duplicates": counts.duplicates,
        "events_rejected": counts.rejected,
        "batches": counts.batches,
    }
    _kestra().outputs(values)
    _counters(values)


def _counters(values: Mapping[str, int], tags: Mapping[str, str] | None = None) -> None:
    kestra = _kestra()
    for name, value in values.items():
        kestra.counter(name, value, dict(tags or {}))


def _kestra() -> Any:
    """Kestra's helper class, imported on first use: the library does not need it elsewhere."""
    try:
        # by name: from the checkout, mypy would take the flows' `kestra/` folder for it
        return importlib.import_module("kestra").Kestra
    except ImportError:
        raise ConfigError(
            "publishing to Kestra needs the kestra package; pip install 'adventure-elt[kestra]'"
        ) from None
