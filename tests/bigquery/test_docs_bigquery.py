"""The docs site's facts from BigQuery (the emulator): column types as BigQuery names them, and
each check's last result read back from `ops.check_results`, which `run_checks` appends to."""

from __future__ import annotations

from pathlib import Path

import pytest

from adventure_elt.docs_site.facts import collect_facts
from adventure_elt.settings import Settings
from adventure_elt.transform import run_checks, transform
from adventure_elt.warehouse import open_warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.bigquery]

PROJECT = {
    "staging/stg_orders.sql": """select
    cast(orderid as int64) as order_id,
    cast(amount as numeric) as amount,
    cast(status as string) as status
from raw.sales_orders
""",
    "staging/_models.yml": """version: 1
models:
  - name: stg_orders
    description: One row per order.
    materialized: table
    columns:
      - name: order_id
        tests: [not_null, unique]
      - name: status
        tests:
          - accepted_values: {values: ['1', '2', '3']}
    tests:
      - name: amounts_are_positive
        sql: select * from staging.stg_orders where amount <= 0
""",
}
RAW_ORDERS = (
    "select 1 as orderid, numeric '5.5' as amount, 1 as status"
    " union all select 2, numeric '-1', 2 union all select 3, numeric '1', 3"
)
# quirk: the emulator's load jobs do not create a missing table (real BigQuery does, and
# `record_checks` relies on it), so the table is created here first
CHECK_RESULTS = (
    "(checked_at timestamp, model string, check_name string, kind string, column_name string,"
    " passed bool, failures int64, error string)"
)


def test_types_and_last_check_results_come_from_bigquery(
    bigquery_settings: Settings, tmp_path: Path
) -> None:
    sql_dir = tmp_path / "sql"
    for relative, text in PROJECT.items():
        (sql_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        (sql_dir / relative).write_text(text)
    with open_warehouse(bigquery_settings) as wh:
        for layer in ("raw", "ops"):
            wh.create_layer(layer)
        wh.execute(f"create table {wh.relation('raw', 'sales_orders')} as {RAW_ORDERS}")
        wh.execute(f"create table {wh.relation('ops', 'check_results')} {CHECK_RESULTS}")
    transform(bigquery_settings, sql_dir=sql_dir)
    checks = run_checks(bigquery_settings, sql_dir=sql_dir)
    # order 2's amount is -1
    assert [r.name for r in checks.failed] == ["amounts_are_positive"]

    facts = collect_facts(bigquery_settings, sql_dir)
    assert facts.warehouse_note == "" and facts.warehouse == "bigquery"
    orders = facts.tables["staging.stg_orders"]
    assert (orders.built_as, orders.types_from) == ("table", "warehouse")
    # the casts of stg_orders.sql, as BigQuery names the types
    assert {c.name: c.type for c in orders.columns} == {
        "order_id": "INT64",
        "amount": "NUMERIC(38,9)",
        "status": "STRING",
    }
    status = {c.name: c.status for c in orders.checks}
    assert status == {
        "not_null(order_id)": "pass",
        "unique(order_id)": "pass",
        "accepted_values(status)": "pass",
        "amounts_are_positive": "fail",
    }
    (failed,) = [c for c in orders.checks if c.status == "fail"]
    assert failed.last is not None and failed.last.failures == 1
