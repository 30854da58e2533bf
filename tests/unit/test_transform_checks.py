"""Data checks from _models.yml: pass, fail with at most 5 offending rows, and `test` exits 1."""

from __future__ import annotations

import json
from pathlib import Path

from transform_helpers import make_raw, settings_for, write_project
from typer.testing import CliRunner

from adventure_elt.cli import app
from adventure_elt.transform import run_checks, transform
from adventure_elt.warehouse import DuckDBWarehouse


def test_all_checks_pass_on_clean_data(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    sql_dir = write_project(tmp_path)
    make_raw(settings)
    transform(settings, sql_dir=sql_dir)
    report = run_checks(settings, sql_dir=sql_dir)
    names = {(r.model, r.name) for r in report.results}
    assert ("marts.fct_orders", "unique(order_id)") in names
    assert (
        "marts.fct_orders",
        "relationships(customer_key → marts.dim_customer.customer_key)",
    ) in names
    assert ("marts.fct_orders", "amounts_are_positive") in names
    assert report.passed and report.failed == []


def test_failures_show_at_most_five_offending_rows(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    sql_dir = write_project(tmp_path)
    # 8 orders with id 7 (not unique), customers 90..97 unknown to dim_customer, status 9 unknown
    orders = [(7, 90 + i, "-1", 9) for i in range(8)] + [(1, 10, "5", 1)]
    make_raw(settings, orders)
    transform(settings, sql_dir=sql_dir, select="+dim_customer,stg_orders")
    with DuckDBWarehouse(settings.duckdb_path) as wh:  # a table build would refuse the dupes
        wh.execute("create schema if not exists marts")
        wh.execute(
            "create table marts.fct_orders as select order_id, customer_id as customer_key,"
            " amount * 2 as double_amount, 'Lost' as status_name from staging.stg_orders"
        )
    report = run_checks(settings, select="fct_orders", sql_dir=sql_dir)
    failed = {r.name: r for r in report.failed}
    assert set(failed) == {
        "unique(order_id)",
        "relationships(customer_key → marts.dim_customer.customer_key)",
        "accepted_values(status_name)",
        "amounts_are_positive",
    }
    assert failed["unique(order_id)"].failures == 1
    assert failed["unique(order_id)"].sample == [{"order_id": 7, "n_rows": 8}]
    relationships = failed["relationships(customer_key → marts.dim_customer.customer_key)"]
    assert relationships.failures == 8 and len(relationships.sample) == 5
    assert failed["amounts_are_positive"].failures == 8
    assert not report.passed


def test_cli_test_exits_1_on_failure_and_0_when_clean(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    sql_dir = write_project(tmp_path)
    make_raw(settings)
    transform(settings, sql_dir=sql_dir)
    args = ["--duckdb-path", str(settings.duckdb_path), "test", "--sql-dir", str(sql_dir)]
    clean = CliRunner().invoke(app, args)
    assert clean.exit_code == 0, clean.output
    with DuckDBWarehouse(settings.duckdb_path) as wh:
        wh.execute("update marts.fct_orders set order_id = null where order_id = 1")
    failing = CliRunner().invoke(app, args)
    assert failing.exit_code == 1
    assert "FAIL marts.fct_orders not_null(order_id) 1 offending rows" in failing.stdout
    as_json = CliRunner().invoke(app, [*args, "--json"])
    assert as_json.exit_code == 1
    document = json.loads(as_json.stdout)
    assert document["passed"] is False and document["failed"] == 1
