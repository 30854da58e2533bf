"""Portability lint: each rule rejects with file:line, and the reason it exists is real.

The "why" tests transpile BigQuery SQL with sqlglot, run it on DuckDB and compare with what
BigQuery's documentation says the query returns; if sqlglot fixes a construct, its test fails
and the rule can go.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import sqlglot
from transform_helpers import write_file, write_project

from adventure_elt.transform.compile import compile_query
from adventure_elt.transform.lint import PortabilityError, check_portability, lint_sql
from adventure_elt.transform.project import load_project

REJECTED = [
    ("numeric", "cast(amount as bignumeric)"),
    ("parameterized_type", "cast(amount as numeric(38, 9))"),
    ("parameterized_type", "safe_cast(amount as bignumeric(40, 10))"),
    ("parameterized_type", "cast(order_id as string(10))"),
    ("parameterized_type", "cast(amount as array<numeric(10, 2)>)"),
    ("format", "format('%05d', order_id)"),
    ("dayofweek", "extract(dayofweek from order_date)"),
    ("week_number", "extract(isoweek from order_date)"),
    ("week_number", "extract(week from order_date)"),
    ("week_number", "extract(week(monday) from order_date)"),
    ("week_start", "date(date_trunc(order_date, week(monday)))"),
    ("week_start", "date(date_trunc(order_date, isoweek))"),
    ("week_start", "timestamp_trunc(ordered_at, week)"),
    ("farm_fingerprint", "farm_fingerprint(cast(order_id as string))"),
    ("ieee_divide", "ieee_divide(amount, 2)"),
    ("date_type", "date_trunc(order_date, month)"),
    ("date_type", "date_add(order_date, interval 1 day)"),
    ("substr_zero", "substr(name, 0, 2)"),
]


@pytest.mark.parametrize(("rule", "expression"), REJECTED)
def test_each_rule_rejects_with_file_line_and_portable_form(
    tmp_path: Path, rule: str, expression: str
) -> None:
    sql_dir = write_project(tmp_path)
    write_file(
        sql_dir,
        "reports/rpt_bad.sql",
        f"with orders as (\n    select * from marts.fct_orders\n)\n\nselect\n    order_id,\n"
        f"    {expression} as value\nfrom orders\n",
    )
    project = load_project(sql_dir)
    with pytest.raises(PortabilityError) as caught:
        check_portability(project)
    message = str(caught.value)
    assert message.startswith("sql/reports/rpt_bad.sql:7: ")
    assert f"[{rule}]; use " in message


PORTABLE = [
    "cast(amount as numeric)",
    "safe_cast(amount as decimal)",
    "cast(order_id as string)",
    "concat('#', cast(order_id as string))",
    "cast(format_date('%w', order_date) as int64) + 1",
    "cast(format_date('%V', order_date) as int64)",
    "date(date_sub(order_date, interval cast(format_date('%u', order_date) as int64) - 1 day))",
    "to_hex(md5(cast(order_id as string)))",
    "safe_divide(amount, 2)",
    "date(date_trunc(order_date, month))",
    "cast(date_add(order_date, interval 1 day) as date)",
    "date_diff(order_date, order_date, week)",
    "substr(name, 1, 2)",
    "where_clause_ok",
]


@pytest.mark.parametrize("expression", PORTABLE)
def test_portable_forms_pass(expression: str) -> None:
    sql = f"select {expression} as value from marts.fct_orders"
    if expression == "where_clause_ok":  # a date function outside the output columns is fine
        sql = "select 1 as x from t where d > date_sub(current_date(), interval 1 day)"
    assert lint_sql(sqlglot.parse_one(sql, read="bigquery"), "x.sql") == []


def _on_duckdb(bigquery_sql: str) -> object:
    duck = sqlglot.transpile(bigquery_sql, read="bigquery", write="duckdb")[0]
    with duckdb.connect() as con:
        return con.execute(duck).fetchall()[0][0]


# 2024-01-07 is a Sunday; 2024-01-01 a Monday
def test_why_bignumeric_is_rejected_and_numeric_is_compiled_with_its_precision() -> None:
    # BigQuery NUMERIC keeps 9 decimals (BIGNUMERIC 38); sqlglot alone gives DuckDB's
    # DECIMAL(18,3) and DECIMAL(38,5), which round
    assert _on_duckdb("select cast('1.123456789' as numeric)") == Decimal("1.123")
    assert _on_duckdb("select cast('1.123456789' as bignumeric)") == Decimal("1.12346")
    # compile pins plain NUMERIC to BigQuery's (38, 9), so the value survives
    compiled = compile_query("select cast('1.123456789' as numeric)", "duckdb")
    with duckdb.connect() as con:
        assert con.execute(compiled).fetchall()[0][0] == Decimal("1.123456789")


def test_the_parameterized_rule_names_the_type_and_the_plain_form() -> None:
    ast = sqlglot.parse_one("select\n  cast(x as numeric(38, 9)) as x", read="bigquery")
    (issue,) = lint_sql(ast, "m.sql")
    assert str(issue).startswith("m.sql:2: BigQuery refuses a parameterized type (NUMERIC(38, 9))")
    assert issue.portable.startswith("the plain type: numeric")


def test_why_format_is_rejected() -> None:
    # BigQuery: '00042'
    assert _on_duckdb("select format('%05d', 42)") == "%05d"


def test_why_dayofweek_is_rejected() -> None:
    # BigQuery: 1 (Sunday is 1)
    assert _on_duckdb("select extract(dayofweek from date '2024-01-07')") == 0
    assert _on_duckdb("select cast(format_date('%w', date '2024-01-07') as int64) + 1") == 1


def test_why_week_numbers_are_rejected() -> None:
    # BigQuery WEEK: Sunday weeks, days before the first Sunday are week 0
    assert _on_duckdb("select extract(week from date '2024-01-01')") == 1
    assert _on_duckdb("select cast(format_date('%U', date '2024-01-01') as int64)") == 0
    with pytest.raises(duckdb.Error):  # BigQuery ISOWEEK works; DuckDB does not know it
        _on_duckdb("select extract(isoweek from date '2024-01-07')")
    assert _on_duckdb("select cast(format_date('%V', date '2024-01-07') as int64)") == 1


def test_why_week_truncation_and_date_functions_are_rejected() -> None:
    # BigQuery returns DATE 2024-01-08 for both
    iso = _on_duckdb("select date_trunc(date '2024-01-10', isoweek)")
    assert iso == dt.datetime(2024, 1, 8)  # a TIMESTAMP, not a DATE
    assert _on_duckdb("select date_trunc(date '2024-01-10', month)") == dt.datetime(2024, 1, 1)
    assert _on_duckdb("select date_add(date '2024-01-10', interval 1 day)") == dt.datetime(
        2024, 1, 11
    )
    portable = (
        "select date(date_sub(date '2024-01-10', "
        "interval cast(format_date('%u', date '2024-01-10') as int64) - 1 day))"
    )
    assert _on_duckdb(portable) == dt.date(2024, 1, 8)


def test_why_missing_functions_are_rejected() -> None:
    for sql in ("select farm_fingerprint('a')", "select ieee_divide(1, 0)"):
        with pytest.raises(duckdb.Error):
            _on_duckdb(sql)
    assert _on_duckdb("select to_hex(md5('a'))") == "0cc175b9c0f1b6a831c399e269772661"
    assert _on_duckdb("select safe_divide(1, 0)") is None


def test_why_substr_zero_is_rejected() -> None:
    # BigQuery: 'he' (position 0 is treated as 1)
    assert _on_duckdb("select substr('hello', 0, 2)") == "h"
