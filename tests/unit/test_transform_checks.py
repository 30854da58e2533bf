"""Data checks from _models.yml: pass, fail with at most 5 offending rows, and `test` exits 1;
`severity: warn` warns without failing; `--store-failures` keeps the offending rows in `audit`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from transform_helpers import BASE_FILES, make_raw, settings_for, write_project
from typer.testing import CliRunner

from adventure_elt.cli import app
from adventure_elt.errors import ModelError
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
    # readable: the model's key and the tested column, not every column of the model
    assert relationships.sample[0] == {"order_id": 7, "customer_key": 90}
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
    lines = failing.stdout.splitlines()
    assert re.match(
        r"^ *\d+ of 7 FAIL 1 +marts.fct_orders not_null\(order_id\) \[\d+\.\d\ds\]$",
        next(line for line in lines if "not_null(order_id)" in line and "fct_orders" in line),
    )
    assert lines[-1] == "PASS=6 WARN=0 ERROR=1 TOTAL=7"
    as_json = CliRunner().invoke(app, [*args, "--json"])
    assert as_json.exit_code == 1
    document = json.loads(as_json.stdout)
    assert document["passed"] is False and document["failed"] == 1


BROKEN_CHECK_MODELS = BASE_FILES["marts/_models.yml"].replace(
    "      - name: amounts_are_positive\n",
    "      - name: reads_a_missing_column\n"
    "        sql: select * from marts.fct_orders where no_such_column > 0\n"
    "      - name: amounts_are_positive\n",
)


def test_a_check_that_cannot_run_is_named_and_the_others_of_its_model_still_count(
    tmp_path: Path,
) -> None:
    # The checks of a model are counted by one query; one that cannot run must not hide the
    # others' counts behind its error.
    settings = settings_for(tmp_path)
    sql_dir = write_project(tmp_path, **{"marts___models.yml": BROKEN_CHECK_MODELS})
    make_raw(settings, [(1, 10, "5.5", 1), (2, 10, "-7.25", 2), (3, 11, "-1", 3)])
    transform(settings, sql_dir=sql_dir)

    report = run_checks(settings, sql_dir=sql_dir)

    outcomes = {r.name: (r.failures, r.error) for r in report.results}
    assert outcomes["amounts_are_positive"] == (2, None)
    assert outcomes["unique(order_id)"] == (0, None)
    failures, error = outcomes["reads_a_missing_column"]
    assert failures == 0 and error is not None and "no_such_column" in error
    assert len(report.results) == 8


def test_the_checks_of_a_model_are_counted_by_one_query(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On BigQuery every query is a job with its own latency: 258 checks, 36 models.
    settings = settings_for(tmp_path)
    sql_dir = write_project(tmp_path)
    make_raw(settings)
    transform(settings, sql_dir=sql_dir)
    queries: list[str] = []
    fetch_all = DuckDBWarehouse.fetch_all

    def counting(self: DuckDBWarehouse, sql: str, params: object = None) -> object:
        queries.append(sql)
        return fetch_all(self, sql, params)  # type: ignore[arg-type]

    monkeypatch.setattr(DuckDBWarehouse, "fetch_all", counting)
    report = run_checks(settings, sql_dir=sql_dir)

    counted = [q for q in queries if "as offending" in q]
    assert report.passed and len(report.results) == 7
    assert len(counted) == len({r.model for r in report.results}) == 2


WARN_MODELS = (
    BASE_FILES["marts/_models.yml"]
    .replace(
        "- accepted_values: {values: [Open, Shipped, Cancelled]}",
        "- accepted_values: {values: [Open, Shipped], config: {severity: warn}}",
    )
    .replace(
        "sql: select * from marts.fct_orders where double_amount <= 0",
        "sql: select * from marts.fct_orders where double_amount <= 0\n        severity: warn",
    )
)


def test_a_warn_check_that_finds_rows_warns_and_the_exit_code_stays_0(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    sql_dir = write_project(tmp_path, **{"marts___models.yml": WARN_MODELS})
    # status 3 is Cancelled (not accepted any more), order 3 has a negative amount
    make_raw(settings, [(1, 10, "5.5", 1), (2, 10, "7.25", 2), (3, 11, "-1", 3)])
    transform(settings, sql_dir=sql_dir)

    report = run_checks(settings, sql_dir=sql_dir)
    assert report.passed and report.failed == []
    assert {(r.name, r.failures) for r in report.warned} == {
        ("accepted_values(status_name)", 1),
        ("amounts_are_positive", 1),
    }
    assert report.counts() == {"pass": 5, "warn": 2, "error": 0}

    args = ["--duckdb-path", str(settings.duckdb_path), "test", "--sql-dir", str(sql_dir)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert re.search(r"WARN 1 +marts.fct_orders amounts_are_positive", result.stdout)
    assert result.stdout.splitlines()[-1] == "PASS=5 WARN=2 ERROR=0 TOTAL=7"


def test_an_unknown_severity_is_refused_with_where_it_is_declared(tmp_path: Path) -> None:
    models = WARN_MODELS.replace("severity: warn}", "severity: loud}")
    sql_dir = write_project(tmp_path, **{"marts___models.yml": models})
    with pytest.raises(ModelError, match=r"_models.yml:\d+: .*severity 'loud' is not one of"):
        run_checks(settings_for(tmp_path), sql_dir=sql_dir)


def test_store_failures_writes_the_offending_rows_to_audit_and_clears_them_once_fixed(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path)
    sql_dir = write_project(tmp_path)
    make_raw(settings, [(1, 10, "5.5", 1), (2, 99, "7.25", 2), (3, 98, "-1", 3)])
    transform(settings, sql_dir=sql_dir)

    report = run_checks(settings, sql_dir=sql_dir, store_failures=True)
    orphans = {r.name: r for r in report.failed}[
        "relationships(customer_key → marts.dim_customer.customer_key)"
    ]
    table = "audit.fct_orders__relationships_customer_key_marts_dim_customer_customer_key"
    assert orphans.stored_in == table
    with DuckDBWarehouse(settings.duckdb_path) as wh:
        stored = wh.fetch_all(f"select order_id, customer_key from {table} order by order_id")
        audit_tables = wh.list_tables("audit")
    assert stored == [(2, 99), (3, 98)]
    assert len(audit_tables) == len(report.results)  # one per check, passing ones empty

    with DuckDBWarehouse(settings.duckdb_path) as wh:
        wh.execute("update marts.fct_orders set customer_key = 10")
    run_checks(settings, sql_dir=sql_dir, store_failures=True)
    with DuckDBWarehouse(settings.duckdb_path) as wh:
        assert wh.fetch_all(f"select count(*) from {table}") == [(0,)]
