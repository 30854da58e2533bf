"""The cost guard through the real Google client, against a canned BigQuery answer.

The emulator answers every dry run with 0 bytes and ignores `maximumBytesBilled`, so these tests
stand a tiny HTTP server in for BigQuery's REST API (`tests/canned_bigquery.py`): it records the
jobs the client sends and answers in the shapes BigQuery documents. What is tested is our side:
the jobs we ask for (dry run, no cache; a bytes-billed ceiling on every real job), which queries
a build would run, and how we read and add up the answers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("google.cloud.bigquery", reason="the bigquery extra is not installed")

from adventure_elt.errors import BytesBilledLimitError
from adventure_elt.settings import Settings
from adventure_elt.transform.cost import (
    CostLimitError,
    CostPlan,
    ModelCost,
    check_budget,
    estimate,
)
from adventure_elt.warehouse import BigQueryWarehouse
from canned_bigquery import PROJECT, Canned, canned_bigquery, table_resource
from cli_parse import run_cli

BYTES_PER_QUERY = 123_456_789
FCT_SALES_COLUMNS = [
    ("sales_order_id", "INTEGER"),
    ("sales_order_detail_id", "INTEGER"),
    ("order_date", "DATE"),
    ("customer_key", "INTEGER"),
    ("product_key", "INTEGER"),
    ("line_total", "NUMERIC"),
]


@pytest.fixture
def canned(monkeypatch: pytest.MonkeyPatch) -> Iterator[Canned]:
    answers = Canned(bytes_per_query=BYTES_PER_QUERY)
    with canned_bigquery(monkeypatch, answers):
        yield answers


def settings(max_bytes_billed: int | None = 10_000_000_000) -> Settings:
    return Settings(
        warehouse="bigquery", bigquery_project=PROJECT, bigquery_max_bytes_billed=max_bytes_billed
    )


def test_a_dry_run_asks_for_an_uncached_dry_run_and_reads_the_bytes(canned: Canned) -> None:
    with BigQueryWarehouse(settings()) as wh:
        result = wh.dry_run("select 1")

    assert result.bytes_processed == BYTES_PER_QUERY
    configuration = canned.jobs[-1]["configuration"]
    assert configuration["dryRun"] is True
    assert configuration["query"]["useQueryCache"] is False
    assert configuration["query"]["query"] == "select 1"
    # a dry run bills nothing: no ceiling, so it also estimates queries above it
    assert "maximumBytesBilled" not in configuration["query"]


def test_every_query_job_carries_the_bytes_billed_ceiling(canned: Canned) -> None:
    with BigQueryWarehouse(settings(max_bytes_billed=500_000_000)) as wh:
        canned.bytes_per_query = 1_000
        wh.execute("select 1")
        wh.fetch_all("select 2")
        wh.fetch_arrow("select 3")
        wh.execute_dml("delete from t where false")

    assert [q["maximumBytesBilled"] for q in canned.queries] == ["500000000"] * 4


def test_no_ceiling_when_the_setting_says_zero(canned: Canned) -> None:
    with BigQueryWarehouse(settings(max_bytes_billed=None)) as wh:
        wh.execute("select 1")
    assert "maximumBytesBilled" not in canned.queries[-1]


def test_a_query_above_the_ceiling_is_refused_by_bigquery_in_one_line(canned: Canned) -> None:
    canned.bytes_per_query = 50_000_000
    with (
        BigQueryWarehouse(settings(max_bytes_billed=20_000_000)) as wh,
        pytest.raises(BytesBilledLimitError) as caught,
    ):
        wh.fetch_all("select * from huge")

    message = str(caught.value)
    assert "\n" not in message
    assert "limit of 20,000,000 bytes billed" in message
    assert "50000000 or higher required" in message  # BigQuery's own figure
    assert "ADVENTURE_ELT_BIGQUERY_MAX_BYTES_BILLED" in message


def test_the_cli_reports_a_refused_query_with_exit_2(
    canned: Canned, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    canned.bytes_per_query = 50_000_000
    monkeypatch.setenv("ADVENTURE_ELT_BIGQUERY_PROJECT", PROJECT)
    monkeypatch.setenv("ADVENTURE_ELT_BIGQUERY_MAX_BYTES_BILLED", "20000000")
    code, out, err = run_cli(["--warehouse", "bigquery", "query", "revenue"], capsys)

    assert code == 2
    assert out == ""
    assert err.startswith("error: BigQuery refused a query above the limit of 20,000,000")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_the_plan_adds_up_every_model_and_the_budget_refuses_above_it(canned: Canned) -> None:
    plan = estimate(settings())

    built = [m for m in plan.models if m.materialized != "view"]
    assert built, "the project has no table or incremental models"
    # nothing is built yet: every table and incremental model is one query, its own
    assert {(m.bytes_processed, m.queries) for m in built} == {(BYTES_PER_QUERY, 1)}
    assert {m.queries for m in plan.models if m.materialized == "view"} == {0}
    assert plan.total_bytes == BYTES_PER_QUERY * len(built)
    assert all(job["configuration"]["dryRun"] is True for job in canned.jobs)
    check_budget(plan, plan.total_bytes)
    with pytest.raises(CostLimitError, match="above --max-bytes"):
        check_budget(plan, plan.total_bytes - 1)


def test_an_incremental_merge_is_estimated_with_its_unique_check_and_merge(
    canned: Canned,
) -> None:
    canned.columns = FCT_SALES_COLUMNS
    canned.tables["adventure_marts.fct_sales"] = table_resource(
        "adventure_marts.fct_sales",
        FCT_SALES_COLUMNS,
        partition=("order_date", "MONTH"),
        cluster_by=("customer_key", "product_key"),
    )
    plan = estimate(settings(), "fct_sales")

    (fact,) = plan.models
    assert (fact.model, fact.queries, fact.bytes_processed) == (
        "marts.fct_sales",
        2,
        2 * BYTES_PER_QUERY,
    )
    # after the dry run that reads the model's columns: the two queries the merge runs
    sent = [q["query"] for q in canned.queries][-2:]
    assert sent[0].startswith("select `sales_order_id`, `sales_order_detail_id` from (")
    assert "having count(*) > 1" in sent[0]
    assert sent[1].startswith(f"merge `{PROJECT}.adventure_marts.fct_sales` as t")


def test_an_incremental_model_laid_out_differently_is_estimated_as_a_rebuild(
    canned: Canned,
) -> None:
    canned.columns = FCT_SALES_COLUMNS
    # the table was built before the model declared its clustering
    canned.tables["adventure_marts.fct_sales"] = table_resource(
        "adventure_marts.fct_sales", FCT_SALES_COLUMNS, partition=("order_date", "MONTH")
    )
    (fact,) = estimate(settings(), "fct_sales").models

    assert (fact.queries, fact.bytes_processed) == (1, BYTES_PER_QUERY)
    assert not any(q["query"].startswith("merge") for q in canned.queries)


def test_a_refused_model_is_unknown_and_the_budget_names_it(canned: Canned) -> None:
    canned.refuse["from `canned-project.adventure_staging.stg_sales__order_headers`"] = (
        "Not found: Table canned-project:adventure_staging.stg_sales__order_headers"
    )
    plan = estimate(settings(), "fct_orders")

    (orders,) = plan.models
    assert orders.bytes_processed is None
    assert orders.error is not None and "Not found: Table" in orders.error
    with pytest.raises(CostLimitError, match=r"cannot estimate 1 model.*marts\.fct_orders"):
        check_budget(plan, 10**12)


def test_max_bytes_refuses_a_plan_above_the_limit() -> None:
    plan = CostPlan(
        [
            ModelCost("marts.fct_sales", "incremental", 7_000_000),
            ModelCost("staging.stg_sales__customers", "view", 0),
            ModelCost("reports.rpt_geography", "table", 4_000_000),
        ]
    )
    check_budget(plan, 11_000_000)
    with pytest.raises(CostLimitError, match=r"11,000,000 bytes\), above --max-bytes 10,000,000"):
        check_budget(plan, 10_000_000)
    unknown = CostPlan([ModelCost("marts.fct_sales", "incremental", None, "Not found: table")])
    with pytest.raises(CostLimitError, match="cannot estimate 1 model"):
        check_budget(unknown, 10**12)


def test_max_bytes_below_bigquery_s_minimum_is_bad_input(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["transform", "--warehouse", "bigquery", "--max-bytes", "1000"]
    code, out, err = run_cli(args, capsys)

    assert (code, out) == (2, "")
    assert "at least 10,485,760 (BigQuery's minimum)" in err
    assert len(err.strip().splitlines()) == 1
