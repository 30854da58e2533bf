"""Compiling models for DuckDB and BigQuery, golden rendering, and the `compile` command."""

from __future__ import annotations

from pathlib import Path

import pytest
from transform_helpers import write_file, write_project
from typer.testing import CliRunner

from adventure_elt.cli import app
from adventure_elt.transform import compile_all, compile_model
from adventure_elt.transform.compile import compile_query
from adventure_elt.transform.lint import PortabilityError


def test_duckdb_target_is_transpiled(tmp_path: Path) -> None:
    sql = compile_model("stg_orders", target="duckdb", sql_dir=write_project(tmp_path))
    assert "CAST(amount AS DECIMAL(38, 9)) AS amount" in sql
    assert "CAST(orderid AS BIGINT) AS order_id" in sql
    assert "FROM raw.sales_orders" in sql


def test_bigquery_target_runs_the_file_as_written(tmp_path: Path) -> None:
    sql_dir = write_project(tmp_path)
    sql = compile_model("stg_orders", target="bigquery", sql_dir=sql_dir)
    assert sql == (sql_dir / "staging/stg_orders.sql").read_text()


def test_bigquery_relation_hook_renames_only_tables() -> None:
    sql = (
        "select o.x, safe_cast(y as numeric) as y -- as written\n"
        "from raw.sales_x as o\njoin staging.stg_y using (k)"
    )
    compiled = compile_query(sql, "bigquery", lambda layer, name: f"`acme.aw_{layer}.{name}`")
    # the text stays as written (comments and spelling too): only the tables are renamed
    assert compiled == (
        "select o.x, safe_cast(y as numeric) as y -- as written\n"
        "from `acme.aw_raw.sales_x` as o\njoin `acme.aw_staging.stg_y` using (k)"
    )


@pytest.mark.parametrize("ending", [";", ";;\n", " ; -- the end\n", ";\n# the end"])
def test_bigquery_text_loses_the_semicolon_that_ends_it(ending: str) -> None:
    # BigQuery's text is wrapped (`create … as (…)`, a check's `select count(*) from (…)`):
    # a `;` ending it there is a syntax error, on DuckDB too when a comment follows it.
    sql = "select ';' as k -- a ; in a comment\nfrom raw.sales_x"

    def renamed(layer: str, name: str) -> str:
        return f"`acme.aw_{layer}.{name}`"

    as_written = sql + ending.replace(";", "")  # comments and blanks stay
    assert compile_query(sql + ending, "bigquery") == as_written
    assert compile_query(sql + ending, "bigquery", renamed) == as_written.replace(
        "raw.sales_x", "`acme.aw_raw.sales_x`"
    )
    assert compile_query(sql + ending, "duckdb") == compile_query(as_written, "duckdb")


def test_compile_all_renders_every_model_in_build_order(tmp_path: Path) -> None:
    rendered = compile_all("duckdb", sql_dir=write_project(tmp_path))
    assert list(rendered) == [
        "stg_customers",
        "stg_orders",
        "dim_customer",
        "fct_orders",
        "rpt_revenue",
    ]
    assert all(sql.startswith(("WITH", "SELECT")) for sql in rendered.values())


def test_compile_refuses_non_portable_models(tmp_path: Path) -> None:
    sql_dir = write_project(tmp_path)
    write_file(
        sql_dir,
        "reports/rpt_bad.sql",
        "select\n    farm_fingerprint('a') as h\nfrom marts.fct_orders\n",
    )
    with pytest.raises(PortabilityError, match=r"sql/reports/rpt_bad.sql:2: FARM_FINGERPRINT"):
        compile_model("rpt_bad", sql_dir=sql_dir)


def test_compile_cli_both_targets(tmp_path: Path) -> None:
    sql_dir = write_project(tmp_path)
    duck = CliRunner().invoke(
        app, ["compile", "fct_orders", "--target", "duckdb", "--sql-dir", str(sql_dir)]
    )
    assert duck.exit_code == 0 and "FROM staging.stg_orders" in duck.stdout
    bq = CliRunner().invoke(
        app, ["compile", "fct_orders", "--target", "bigquery", "--sql-dir", str(sql_dir)]
    )
    assert bq.exit_code == 0 and "select * from staging.stg_orders" in bq.stdout
    every = CliRunner().invoke(app, ["compile", "--sql-dir", str(sql_dir)])
    assert every.exit_code == 0 and every.stdout.count("-- ") == 5
