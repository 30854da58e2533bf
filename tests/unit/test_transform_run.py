"""Running models: views, tables, incremental merges, progress, and nothing built on bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from transform_helpers import make_raw, settings_for, write_file, write_project
from typer.testing import CliRunner

from adventure_elt.cli import app
from adventure_elt.errors import ModelError
from adventure_elt.progress import ProgressEvent
from adventure_elt.transform import transform
from adventure_elt.transform.lint import PortabilityError
from adventure_elt.warehouse import DuckDBWarehouse


def _kinds(path: Path) -> dict[str, str]:
    with DuckDBWarehouse(path) as wh:
        rows = wh.fetch_all(
            "select table_schema || '.' || table_name, table_type from information_schema.tables"
        )
    return {str(name): str(kind) for name, kind in rows}


def test_builds_views_tables_and_seeds_in_order(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    make_raw(settings)
    events: list[ProgressEvent] = []
    summary = transform(settings, sql_dir=write_project(tmp_path), progress=events.append)
    assert [m.model for m in summary.models] == [
        "seeds.order_status",
        "staging.stg_customers",
        "staging.stg_orders",
        "marts.dim_customer",
        "marts.fct_orders",
        "reports.rpt_revenue",
    ]
    kinds = _kinds(settings.duckdb_path)
    assert kinds["staging.stg_orders"] == "VIEW"
    assert kinds["marts.fct_orders"] == "BASE TABLE"
    assert kinds["seeds.order_status"] == "BASE TABLE"
    with DuckDBWarehouse(settings.duckdb_path) as wh:
        revenue = dict(wh.fetch_all("select customer_name, revenue from reports.rpt_revenue"))
        statuses = wh.fetch_all("select * from seeds.order_status order by status_code")
    assert {k: float(v) for k, v in revenue.items()} == {"Ana": 25.5, "Bo": 2.0}
    assert statuses[0] == (1, "Open")
    finished = [e for e in events if e.finished]
    assert [e.task for e in finished] == [m.model for m in summary.models]
    assert all(e.message.endswith("s") for e in finished)  # "table 3 rows in 0.01s"
    assert summary.models[-1].rows == 2 and summary.seconds > 0


def test_incremental_merge_touches_only_changed_rows_and_removes_deleted(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    sql_dir = write_project(tmp_path)
    make_raw(settings)
    first = transform(settings, sql_dir=sql_dir)
    assert next(m for m in first.models if m.model == "marts.fct_orders").full_refresh
    with DuckDBWarehouse(settings.duckdb_path) as wh:
        # a column the model does not produce: rows the merge rewrites lose it
        wh.execute("alter table marts.fct_orders add column marker varchar")
        wh.execute("update marts.fct_orders set marker = 'untouched'")
        wh.execute("update raw.sales_orders set amount = 100 where orderid = 2")
        wh.execute("delete from raw.sales_orders where orderid = 3")
        wh.execute("insert into raw.sales_orders values (4, 11, 3, 1, now()::timestamp)")

    second = transform(settings, sql_dir=sql_dir, select="+fct_orders+")
    run = next(m for m in second.models if m.model == "marts.fct_orders")
    assert (run.inserted, run.updated, run.deleted, run.changed) == (1, 1, 1, 3)
    assert not run.full_refresh and run.rows == 3
    with DuckDBWarehouse(settings.duckdb_path) as wh:
        rows = wh.fetch_all(
            "select order_id, double_amount, marker from marts.fct_orders order by order_id"
        )
        revenue = dict(wh.fetch_all("select customer_name, revenue from reports.rpt_revenue"))
    assert [(i, float(a), m) for i, a, m in rows] == [
        (1, 11.0, "untouched"),
        (2, 200.0, None),
        (4, 6.0, None),
    ]
    assert {k: float(v) for k, v in revenue.items()} == {"Ana": 211.0, "Bo": 6.0}

    third = transform(settings, sql_dir=sql_dir, select="fct_orders")
    assert third.models[0].changed == 0
    with DuckDBWarehouse(settings.duckdb_path) as wh:
        assert wh.fetch_all("select count(*) from marts.fct_orders where marker is null") == [(2,)]

    rebuilt = transform(settings, sql_dir=sql_dir, select="fct_orders", full_refresh=True)
    assert rebuilt.models[0].full_refresh and rebuilt.models[0].changed == 3
    with DuckDBWarehouse(settings.duckdb_path) as wh:
        columns = [r[0] for r in wh.fetch_all("describe marts.fct_orders")]
    assert "marker" not in columns


def test_incremental_with_duplicate_keys_fails_clearly(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    sql_dir = write_project(tmp_path)
    make_raw(settings)
    transform(settings, sql_dir=sql_dir)
    with DuckDBWarehouse(settings.duckdb_path) as wh:
        wh.execute("insert into raw.sales_orders values (1, 11, 9, 1, now()::timestamp)")
    with pytest.raises(ModelError, match=r"unique_key \(order_id\) is not unique"):
        transform(settings, sql_dir=sql_dir, select="fct_orders")


def test_materialization_switch_from_view_to_table(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    sql_dir = write_project(tmp_path)
    make_raw(settings)
    transform(settings, sql_dir=sql_dir, select="stg_customers")
    assert _kinds(settings.duckdb_path)["staging.stg_customers"] == "VIEW"
    write_file(
        sql_dir,
        "staging/_models.yml",
        "version: 1\nmodels:\n  - name: stg_customers\n    materialized: table\n",
    )
    transform(settings, sql_dir=sql_dir, select="stg_customers")
    assert _kinds(settings.duckdb_path)["staging.stg_customers"] == "BASE TABLE"


def test_lint_failure_builds_nothing(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    sql_dir = write_project(tmp_path)
    write_file(
        sql_dir,
        "reports/rpt_bad.sql",
        "select\n    cast(revenue as numeric(38, 9)) as r\nfrom reports.rpt_revenue\n",
    )
    make_raw(settings)
    with pytest.raises(
        PortabilityError, match=r"sql/reports/rpt_bad.sql:2: BigQuery refuses a parameterized type"
    ):
        transform(settings, sql_dir=sql_dir)
    assert not any(
        k.split(".")[0] in ("staging", "marts", "reports", "seeds")
        for k in _kinds(settings.duckdb_path)
    )


def test_engine_error_names_the_model_and_stops(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    sql_dir = write_project(tmp_path)
    write_file(
        sql_dir, "marts/dim_customer.sql", "select no_such_column from staging.stg_customers\n"
    )
    make_raw(settings)
    with pytest.raises(
        ModelError, match=r"^sql/marts/dim_customer.sql: building marts.dim_customer failed"
    ):
        transform(settings, sql_dir=sql_dir)
    kinds = _kinds(settings.duckdb_path)
    assert "staging.stg_orders" in kinds and "reports.rpt_revenue" not in kinds


def test_transform_cli_prints_summary_and_json(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    sql_dir = write_project(tmp_path)
    make_raw(settings)
    args = ["--duckdb-path", str(settings.duckdb_path), "transform", "--sql-dir", str(sql_dir)]
    result = CliRunner().invoke(app, [*args, "--select", "+fct_orders", "--json"])
    assert result.exit_code == 0, result.output
    assert '"model": "marts.fct_orders"' in result.stdout
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "6 models built in" in result.output
