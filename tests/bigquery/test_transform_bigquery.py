"""Transforms, checks and `report --json` on BigQuery (the emulator), against DuckDB's answers.

One module fixture fills a source at synthetic scale 0.1, syncs it into both warehouses and
builds every model in both; the tests then compare what a user would read.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from bq_helpers import both_engines, emulator_environment

from adventure_elt.oltp.activity import run_activity
from adventure_elt.replicate.sync import sync
from adventure_elt.report import report
from adventure_elt.settings import Settings
from adventure_elt.transform import run_checks, transform
from adventure_elt.transform.materialize import Materializer
from adventure_elt.warehouse import (
    PLAIN,
    BigQueryWarehouse,
    DuckDBWarehouse,
    Layout,
    open_warehouse,
)
from cli_parse import run_cli

pytestmark = [pytest.mark.postgres, pytest.mark.bigquery, pytest.mark.e2e]

PROJECT_SQL = Path(__file__).resolve().parents[2] / "sql"
VIEWS = ("staging.stg_sales__order_headers", "marts.fct_web_sessions", "reports.rpt_web_traffic")


@dataclasses.dataclass
class Built:
    duckdb: Settings
    bigquery: Settings


@pytest.fixture(scope="module")
def built(
    bq_emulator: str, pg_admin_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Built]:
    """Synthetic scale 0.1 synced and transformed into DuckDB and into BigQuery."""
    home = tmp_path_factory.mktemp("bq-e2e")
    with both_engines(bq_emulator, pg_admin_dsn, home, scale=0.1, seed=7) as (local, cloud):
        yield Built(local, cloud)


@pytest.fixture
def on_emulator(built: Built, bq_emulator: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The environment a user of the emulator-backed warehouse would have (for CLI runs)."""
    emulator_environment(monkeypatch, bq_emulator, built.bigquery.bigquery_dataset_prefix)
    monkeypatch.setenv("ADVENTURE_ELT_SOURCE_DSN", str(built.bigquery.source_dsn))
    monkeypatch.setenv("ADVENTURE_ELT_HOME", str(built.bigquery.home))
    return built.bigquery


def answers(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k not in ("as_of", "warehouse")}


def test_report_json_from_bigquery_equals_duckdb(
    built: Built, on_emulator: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(["--warehouse", "bigquery", "report", "--json"], capsys)

    assert code == 0
    document = json.loads(out)
    assert document["warehouse"] == "bigquery"
    local = dict(report(built.duckdb))
    assert answers(document) == answers(local)
    assert document["customer_summary"]["orders"] > 100
    assert len({row["status"] for row in document["order_status"]}) > 1


def test_checks_pass_on_bigquery(
    built: Built, on_emulator: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Once, through the CLI (a run of every check's query on the emulator takes seconds)."""
    code, out, _ = run_cli(["--warehouse", "bigquery", "test"], capsys)
    assert code == 0, out
    summary = re.search(r"PASS=(\d+) WARN=0 ERROR=0 TOTAL=(\d+)", out)
    assert summary is not None, out
    passed, total = (int(n) for n in summary.groups())
    assert passed == total > 50


def test_facts_are_partitioned_by_month_and_clustered_as_declared(built: Built) -> None:
    with BigQueryWarehouse(built.bigquery) as wh:
        sales = wh.table_metadata("marts", "fct_sales")
        orders = wh.table_metadata("marts", "fct_orders")
        dimension = wh.table_metadata("marts", "dim_customer")
        (rows,) = wh.fetch_all(f"select count(*) from {wh.relation('marts', 'fct_sales')}")[0]

    assert (sales.time_partitioning.type_, sales.time_partitioning.field) == ("MONTH", "order_date")
    assert sales.clustering_fields == ["customer_key", "product_key"]
    assert (orders.time_partitioning.type_, orders.time_partitioning.field) == (
        "MONTH",
        "order_date",
    )
    assert orders.clustering_fields == ["customer_key"]
    assert dimension.time_partitioning is None and dimension.clustering_fields is None
    assert rows > 1000


def test_views_are_real_views_and_keep_money_exact(built: Built) -> None:
    """The emulator builds `create or replace view` as BigQuery does (with the launcher's
    NUMERIC), so the staging models are views there too, and money read through them keeps
    every decimal: the order totals add up to the cent on both engines."""
    total = "select sum(total_due), sum(tax_amount) from {}"
    headers = ("staging", "stg_sales__order_headers")
    with BigQueryWarehouse(built.bigquery) as wh:
        kinds = {n: wh.table_kind(*n.split(".")) for n in VIEWS}
        on_bigquery = wh.fetch_all(total.format(wh.relation(*headers)))
    with DuckDBWarehouse(built.duckdb.duckdb_path, read_only=True) as duck:
        on_duckdb = duck.fetch_all(total.format(duck.relation(*headers)))
    assert kinds == dict.fromkeys(VIEWS, "view")
    assert on_bigquery == on_duckdb
    assert on_bigquery[0][0] % 1 != 0  # cents (and beyond) survive the view


def test_a_model_s_new_layout_replaces_the_table_laid_out_before(built: Built) -> None:
    """A `create or replace` over a table with another partitioning or clustering spec fails on
    BigQuery; the adapter drops such a table first (the emulator would accept either way, so
    what is checked here is that each build leaves the declared layout and the rows)."""
    sql = "select date '2024-01-15' as order_date, 7 as customer_key"
    layouts = [
        Layout("order_date", "MONTH", ("customer_key",)),
        PLAIN,
        Layout("order_date", "DAY"),
        Layout(cluster_by=("customer_key",)),
    ]
    with BigQueryWarehouse(built.bigquery) as wh:
        materializer = Materializer(wh)
        for layout in layouts:
            result = materializer.table("marts", "layout_probe", sql, layout=layout)
            assert (result.rows, wh.table_layout("marts", "layout_probe")) == (1, layout)
        wh.execute(f"drop table {wh.relation('marts', 'layout_probe')}")


def test_bigquery_check_after_a_run_reads_every_table_as_built(
    on_emulator: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["bigquery-check", "--json"], capsys)

    assert code == 0, err
    document = json.loads(out)
    assert [q["name"] for q in document["queries"] if q["refused"] or q["stand_ins"]] == []
    assert document["notes"] == []  # every table laid out as declared


def test_dry_run_lists_bytes_per_model_and_the_total(
    on_emulator: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["transform", "--dry-run", "--warehouse", "bigquery", "--json"]
    code, out, _ = run_cli(args, capsys)

    assert code == 0
    plan = json.loads(out)
    models = {m["model"]: m for m in plan["models"]}
    assert {"marts.fct_sales", "reports.rpt_product_sales", "staging.stg_sales__customers"} <= set(
        models
    )
    assert plan["unknown"] == []
    assert all(isinstance(m["bytes_processed"], int) for m in plan["models"])
    assert plan["total_bytes"] == sum(m["bytes_processed"] for m in plan["models"])
    # the emulator answers every dry run with 0 bytes (tests/unit/test_bigquery_dry_run.py reads
    # real-shaped answers); here the CLI path runs end to end
    code, out, _ = run_cli([*args[:-1], "--max-bytes", str(plan["total_bytes"])], capsys)
    assert code == 0
    assert "total" in out


def test_incremental_merge_after_activity_keeps_both_engines_equal(built: Built) -> None:
    changes = run_activity(
        built.duckdb, orders_per_minute=600, duration=timedelta(seconds=3), seed=5, wait=False
    )
    assert changes.orders_created
    runs = {}
    for settings in (built.duckdb, built.bigquery):
        sync(settings)
        runs[settings.warehouse] = {m.model: m for m in transform(settings).models}

    fact = runs["bigquery"]["marts.fct_sales"]
    assert fact.materialized == "incremental" and not fact.full_refresh
    assert 0 < fact.changed < (fact.rows or 0)
    assert answers(dict(report(built.bigquery))) == answers(dict(report(built.duckdb)))


def test_store_failures_keeps_the_same_offending_rows_on_both_engines(
    built: Built, tmp_path: Path
) -> None:
    # a copy of the project with one warn check that finds rows: orders with a high freight
    sql_dir = tmp_path / "sql"
    shutil.copytree(PROJECT_SQL, sql_dir)
    models = sql_dir / "marts" / "_models.yml"
    document = yaml.safe_load(models.read_text(encoding="utf-8"))
    orders = next(m for m in document["models"] if m["name"] == "fct_orders")
    orders.setdefault("tests", []).append(
        {
            "name": "high_freight",
            "sql": "select * from marts.fct_orders where freight > 1000",
            "severity": "warn",
        }
    )
    models.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")

    stored: dict[str, list[int]] = {}
    for settings in (built.duckdb, built.bigquery):
        report = run_checks(settings, select="fct_orders", sql_dir=sql_dir, store_failures=True)
        assert report.passed and report.failed == []  # a warning does not fail
        (warned,) = report.warned
        assert warned.stored_in == "audit.fct_orders__high_freight" and warned.failures > 0
        with open_warehouse(settings, read_only=True) as wh:
            rows = wh.fetch_all(
                f"select sales_order_id from {wh.relation('audit', 'fct_orders__high_freight')}"
            )
            audit = wh.list_tables("audit")
        stored[settings.warehouse] = sorted(int(r[0]) for r in rows)
        assert len(rows) == warned.failures
        assert len([t for t in audit if t.startswith("fct_orders__")]) == len(report.results)
    assert stored["duckdb"] == stored["bigquery"]
