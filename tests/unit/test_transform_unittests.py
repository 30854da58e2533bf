"""The YAML model unit-test runner on a fixture project."""

from __future__ import annotations

from pathlib import Path

import pytest
from transform_helpers import write_file, write_project

from adventure_elt.errors import ModelError
from adventure_elt.transform import run_model_unit_tests

PASSING = """model: marts.fct_orders
inputs:
  staging.stg_orders:
    - {order_id: 1, customer_id: 10, amount: 2.5, status_code: 2}
    - {order_id: 2, customer_id: 11, amount: 1, status_code: 9}
expected:
  - {order_id: 1, double_amount: 5.0, status_name: Shipped}
  - {order_id: 2, double_amount: 2, status_name: null}
"""


def test_passing_test_uses_seed_csv_when_not_given(tmp_path: Path) -> None:
    sql_dir = write_project(tmp_path)
    test_file = write_file(tmp_path, "tests/fct_orders.yml", PASSING)
    (result,) = run_model_unit_tests(test_file, sql_dir=sql_dir)
    assert result.passed, result.message
    assert result.model == "marts.fct_orders"


def test_failing_test_says_which_rows_differ(tmp_path: Path) -> None:
    sql_dir = write_project(tmp_path)
    write_file(tmp_path, "tests/a_ok.yml", PASSING)
    write_file(
        tmp_path, "tests/b_wrong.yml", PASSING.replace("double_amount: 5.0", "double_amount: 6")
    )
    ok, wrong = run_model_unit_tests(tmp_path / "tests", sql_dir=sql_dir)
    assert ok.passed and not wrong.passed
    assert "missing: {'order_id': 1, 'double_amount': 6," in wrong.message
    assert "unexpected: {'order_id': 1, 'double_amount': 5," in wrong.message


def test_raw_inputs_are_typed_from_the_source_ddl(tmp_path: Path) -> None:
    sql_dir = write_project(tmp_path)
    # amount and modifieddate are left out: NULL columns typed from sql/source/sales.orders.sql
    test_file = write_file(
        tmp_path,
        "tests/stg_orders.yml",
        "model: stg_orders\ninputs:\n  raw.sales_orders: [{orderid: 1, customerid: 2, status: 5}]\n"
        "expected:\n  - {order_id: 1, amount: null, status_code: 5}\n",
    )
    (result,) = run_model_unit_tests([test_file], sql_dir=sql_dir)
    assert result.passed, result.message


def test_input_the_model_does_not_read_is_an_error(tmp_path: Path) -> None:
    sql_dir = write_project(tmp_path)
    test_file = write_file(
        tmp_path,
        "tests/x.yml",
        "model: dim_customer\ninputs:\n  staging.stg_orders: []\nexpected: []\n",
    )
    with pytest.raises(ModelError, match=r"marts\.dim_customer does not read staging\.stg_orders"):
        run_model_unit_tests(test_file, sql_dir=sql_dir)
