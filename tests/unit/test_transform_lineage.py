"""Column lineage through staging and marts down to raw columns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from transform_helpers import write_project
from typer.testing import CliRunner

from adventure_elt.cli import app
from adventure_elt.errors import ModelError
from adventure_elt.transform import column_lineage


def test_lineage_reaches_raw_columns_through_two_layers(tmp_path: Path) -> None:
    tree = column_lineage("rpt_revenue.revenue", sql_dir=write_project(tmp_path))
    assert tree.name == "reports.rpt_revenue.revenue"
    assert tree.expression == "SUM(orders.double_amount)"
    (fct,) = tree.children
    assert fct.name == "marts.fct_orders.double_amount"
    assert fct.expression == "orders.amount * 2"
    assert tree.leaves() == ["raw.sales_orders.amount"]
    assert "raw.sales_orders.amount" in tree.render().splitlines()[-1]


def test_lineage_of_a_join_key_and_a_seed(tmp_path: Path) -> None:
    sql_dir = write_project(tmp_path)
    assert column_lineage("fct_orders.status_name", sql_dir=sql_dir).leaves() == [
        "seeds.order_status.status_name"
    ]
    assert column_lineage("marts.dim_customer.customer_key", sql_dir=sql_dir).leaves() == [
        "raw.sales_customers.customerid"
    ]


def test_unknown_column_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="has no column 'nope'"):
        column_lineage("fct_orders.nope", sql_dir=write_project(tmp_path))


def test_lineage_cli_text_and_json(tmp_path: Path) -> None:
    sql_dir = write_project(tmp_path)
    text = CliRunner().invoke(app, ["lineage", "rpt_revenue.revenue", "--sql-dir", str(sql_dir)])
    assert text.exit_code == 0 and "└── raw.sales_orders.amount" in text.stdout
    as_json = CliRunner().invoke(
        app, ["lineage", "fct_orders.double_amount", "--json", "--sql-dir", str(sql_dir)]
    )
    document = json.loads(as_json.stdout)
    assert document["column"] == "marts.fct_orders.double_amount"
    assert document["from"][0]["from"][0]["column"] == "raw.sales_orders.amount"
