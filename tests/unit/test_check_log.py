"""Every check run is kept in ops.check_results; the last outcome of each check is read back."""

from __future__ import annotations

from pathlib import Path

from transform_helpers import make_raw, settings_for, write_project

from adventure_elt.transform import run_checks, transform
from adventure_elt.transform.check_log import last_checks
from adventure_elt.warehouse import DuckDBWarehouse


def test_the_newest_outcome_of_each_check_wins(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    sql_dir = write_project(tmp_path)
    make_raw(settings)
    transform(settings, sql_dir=sql_dir)
    first = run_checks(settings, sql_dir=sql_dir)
    assert first.passed
    # break one order (amount -1: doubled it is <= 0) and check fct_orders alone
    make_raw(settings, [(1, 10, "-1", 1), (2, 11, "3", 2)])
    transform(settings, sql_dir=sql_dir)
    second = run_checks(settings, select="fct_orders", sql_dir=sql_dir)
    assert [r.name for r in second.failed] == ["amounts_are_positive"]

    with DuckDBWarehouse(settings.duckdb_path, read_only=True) as wh:
        (stored,) = wh.fetch_all("select count(*) from ops.check_results")[0]
        last = last_checks(wh)
    assert stored == len(first.results) + len(second.results)
    assert len(last) == len(first.results)  # one per check, whichever run it was in
    broken = last[("marts.fct_orders", "amounts_are_positive")]
    assert (broken.passed, broken.failures, broken.kind) == (False, 1, "sql")
    # dim_customer was not checked again: its outcome is the first run's
    unique = last[("marts.dim_customer", "unique(customer_key)")]
    assert unique.passed and unique.column_name == "customer_key"
    assert unique.checked_at < broken.checked_at


def test_a_warehouse_without_history_has_no_last_results(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    make_raw(settings)
    with DuckDBWarehouse(settings.duckdb_path, read_only=True) as wh:
        assert last_checks(wh) == {}


def test_checks_are_reported_when_their_history_cannot_be_written(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    sql_dir = write_project(tmp_path)
    make_raw(settings)
    transform(settings, sql_dir=sql_dir)
    with DuckDBWarehouse(settings.duckdb_path) as wh:  # a table of that name, of another shape
        wh.execute("create schema ops")
        wh.execute("create table ops.check_results (note varchar)")
    report = run_checks(settings, sql_dir=sql_dir)
    assert report.passed and len(report.results) > 5
    with DuckDBWarehouse(settings.duckdb_path, read_only=True) as wh:
        assert wh.fetch_all("select count(*) from ops.check_results") == [(0,)]
