"""`adventure_elt.kestra`: the library's results as the outputs and metrics Kestra reads.

Each publisher gets a result built by hand; its `::{...}::` lines are read back as Kestra's
script runner reads them (`kestra_lines`) and compared with what a Kestra user should see.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from adventure_elt import kestra
from adventure_elt.errors import ConfigError
from adventure_elt.pipeline import RunResult, StepRecord
from adventure_elt.replicate.reconcile import TableReconciliation
from adventure_elt.replicate.summary import SyncSummary, TableSync
from adventure_elt.stream.ingest import IngestCounts
from adventure_elt.transform.checks import CheckReport, CheckResult
from adventure_elt.transform.run import ModelRun, TransformSummary
from kestra_lines import Published, read_published

SYNC = SyncSummary(
    tables=[
        TableSync("sales.customer", "incremental", 12, 2, 3, 7, 1, 0.5),
        TableSync("person.address", "initial", 100, 100, 0, 0, 0, 1.25),
    ],
    load_id="1700000000.1",
    seconds=2.5,
)
TRANSFORM = TransformSummary(
    models=[
        ModelRun("seeds.order_status", "seed", 0.25, 8, 8),
        ModelRun("marts.fct_sales", "incremental", 1.5, 100, 4, full_refresh=False),
    ],
    seconds=2.0,
)
CHECKS = CheckReport(
    [
        CheckResult("marts.fct_orders", "not_null_customer_key", "not_null", "customer_key", 0),
        CheckResult("marts.fct_orders", "total_due_is_the_sum", "sql", None, 3),
        CheckResult("marts.dim_date", "no_gaps", "sql", None, 0, error="Binder Error"),
        CheckResult("marts.fct_sales", "late_orders", "sql", None, 4, severity="warn"),
    ]
)
SUMMARY = {
    "customers_with_orders": 19_119,
    "orders": 31_465,
    "revenue": 109_846_381.4,
    "avg_order_value": 3_491.07,
    "avg_spend_per_customer": 5_745.4,
}
REPORT = {
    "as_of": "2026-01-02T05:00:00+00:00",
    "warehouse": "bigquery",
    "product_sales": [],
    "customer_summary": SUMMARY,
}


def published(capsys: pytest.CaptureFixture[str]) -> Published:
    out, err = capsys.readouterr()
    assert err == ""
    assert all(line.startswith("::{") for line in out.splitlines())  # nothing but Kestra lines
    return read_published(out)


def test_sync_publishes_totals_and_counters_per_table(capsys: pytest.CaptureFixture[str]) -> None:
    kestra.publish_sync(SYNC)

    sent = published(capsys)
    assert sent.outputs == {
        "load_id": "1700000000.1",
        "rows_read": 112,
        "rows_written": 105,
        "rows_deleted": 1,
        "sync_seconds": 2.5,
        "tables": {
            "sales.customer": {
                "mode": "incremental",
                "read": 12,
                "inserted": 2,
                "updated": 3,
                "unchanged": 7,
                "deleted": 1,
            },
            "person.address": {
                "mode": "initial",
                "read": 100,
                "inserted": 100,
                "updated": 0,
                "unchanged": 0,
                "deleted": 0,
            },
        },
    }
    assert sent.by_tag("rows_read", "table") == {"sales.customer": 12, "person.address": 100}
    assert sent.by_tag("rows_inserted", "table") == {"sales.customer": 2, "person.address": 100}
    assert sent.by_tag("rows_updated", "table") == {"sales.customer": 3, "person.address": 0}
    assert sent.by_tag("rows_unchanged", "table") == {"sales.customer": 7, "person.address": 0}
    assert sent.by_tag("rows_deleted", "table") == {"sales.customer": 1, "person.address": 0}
    assert sent.by_tag("read_seconds", "table") == {"sales.customer": 0.5, "person.address": 1.25}
    assert sent.metric("sync_seconds") == 2.5
    assert {m["type"] for m in sent.metrics if m["name"].endswith("_seconds")} == {"timer"}
    assert {m["type"] for m in sent.metrics if m["name"].startswith("rows_")} == {"counter"}


def test_transform_publishes_models_built_and_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    kestra.publish_transform(TRANSFORM)

    sent = published(capsys)
    assert sent.outputs == {"models_built": 2, "transform_seconds": 2.0}
    assert sent.metric("models_built") == 2
    assert sent.metric("transform_seconds") == 2.0
    assert sent.by_tag("model_seconds", "model") == {
        "seeds.order_status": 0.25,
        "marts.fct_sales": 1.5,
    }


def test_checks_count_a_check_that_could_not_run_as_failed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    kestra.publish_checks(CHECKS)

    sent = published(capsys)
    assert sent.outputs == {
        "checks": 4,
        "checks_passed": 1,
        "checks_warned": 1,
        "checks_failed": 2,
        "failed_checks": ["marts.fct_orders: total_due_is_the_sum", "marts.dim_date: no_gaps"],
        "warned_checks": ["marts.fct_sales: late_orders"],
    }
    assert (sent.metric("checks_passed"), sent.metric("checks_failed")) == (1, 2)
    assert sent.metric("checks_warned") == 1


def test_a_check_that_cannot_run_is_failed_even_when_it_may_only_warn(
    capsys: pytest.CaptureFixture[str],
) -> None:
    broken = CheckResult("marts.dim_date", "no_gaps", "sql", None, 0, error="x", severity="warn")
    kestra.publish_checks(CheckReport([broken]))

    sent = published(capsys)
    assert (sent.outputs["checks_failed"], sent.outputs["checks_warned"]) == (1, 0)


def test_report_publishes_the_five_figures_and_a_headline(
    capsys: pytest.CaptureFixture[str],
) -> None:
    kestra.publish_report(REPORT)

    sent = published(capsys)
    assert sent.outputs == {
        "as_of": "2026-01-02T05:00:00+00:00",
        "warehouse": "bigquery",
        **SUMMARY,
        "headline": "31,465 orders from 19,119 customers, revenue 109,846,381.40"
        " (average order 3,491.07, average per customer 5,745.40)",
    }
    assert sent.metrics == []


def test_run_publishes_its_id_status_steps_and_each_steps_result(
    capsys: pytest.CaptureFixture[str],
) -> None:
    start = datetime(2026, 1, 2, 5, tzinfo=UTC)
    steps = [
        StepRecord("r1", "sync", start, start + timedelta(seconds=3), "ok", 2, 105),
        StepRecord("r1", "transform", start, start + timedelta(seconds=2), "ok", 1, 108),
    ]
    kestra.publish_run(RunResult("r1", steps, sync=SYNC, transform=TRANSFORM))

    sent = published(capsys)
    assert sent.outputs["run_id"] == "r1"
    assert sent.outputs["status"] == "ok"
    assert sent.outputs["steps"] == {
        "sync": {"status": "ok", "attempts": 2, "rows": 105, "seconds": 3.0},
        "transform": {"status": "ok", "attempts": 1, "rows": 108, "seconds": 2.0},
    }
    assert sent.by_tag("step_seconds", "step") == {"sync": 3.0, "transform": 2.0}
    # what the steps publish on their own rides along, under names that do not collide
    assert sent.outputs["rows_written"] == 105 and sent.outputs["models_built"] == 2
    assert sent.metric("sync_seconds") == 2.5


def test_a_failed_step_makes_the_run_status_failed(capsys: pytest.CaptureFixture[str]) -> None:
    start = datetime(2026, 1, 2, 5, tzinfo=UTC)
    step = StepRecord("r2", "test", start, start, "failed", 1, 0, "2 of 3 checks failed")
    kestra.publish_run(RunResult("r2", [step], checks=CHECKS))

    sent = published(capsys)
    assert (sent.outputs["status"], sent.outputs["checks_failed"]) == ("failed", 2)


def test_publishers_never_share_an_output_name(capsys: pytest.CaptureFixture[str]) -> None:
    # Kestra merges every outputs line of a task: `publish_run` sends all of these in one task.
    names: list[str] = []
    for publish, result in (
        (kestra.publish_sync, SYNC),
        (kestra.publish_transform, TRANSFORM),
        (kestra.publish_checks, CHECKS),
        (kestra.publish_report, REPORT),
    ):
        publish(result)
        names += published(capsys).outputs
    names += ["run_id", "status", "steps"]
    assert len(names) == len(set(names))


def test_reconcile_and_stream_publish_per_table_and_event_counts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    kestra.publish_reconcile(
        [
            TableReconciliation("sales.customer", 10, 9, 1, 0, 2, seconds=0.5),
            TableReconciliation("person.address", 5, 5, 0, 0, 0, seconds=0.25),
        ]
    )
    sent = published(capsys)
    assert sent.outputs == {
        "tables_compared": 2,
        "tables_differing": 1,
        "differing_tables": ["sales.customer"],
    }
    assert sent.by_tag("missing_keys", "table") == {"sales.customer": 1, "person.address": 0}
    assert sent.by_tag("differing_rows", "table") == {"sales.customer": 2, "person.address": 0}
    assert sent.by_tag("reconcile_seconds", "table") == {
        "sales.customer": 0.5,
        "person.address": 0.25,
    }

    kestra.publish_stream(IngestCounts(read=10, loaded=7, duplicates=2, rejected=1, batches=3))
    sent = published(capsys)
    counts = {
        "events_read": 10,
        "events_loaded": 7,
        "events_duplicates": 2,
        "events_rejected": 1,
        "batches": 3,
    }
    assert sent.outputs == counts
    assert {m["name"]: m["value"] for m in sent.metrics} == counts


def test_without_the_kestra_package_the_error_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "kestra", None)  # import kestra raises ImportError

    with pytest.raises(ConfigError, match=r"pip install 'adventure-elt\[kestra\]'"):
        kestra.publish_stream(IngestCounts())


def test_the_module_stays_light_and_below_the_cli() -> None:
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, adventure_elt.kestra;"
            "print(sorted({m.split('.')[0] for m in sys.modules}"
            " & {'typer', 'rich', 'kestra', 'dlt', 'duckdb', 'pyarrow'}))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"
