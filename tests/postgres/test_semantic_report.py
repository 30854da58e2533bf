"""`report` built on the semantic layer gives the same figures as the `reports` models.

Synthetic source (scale 0.05, every order status) → sync → transform; then every answer of
`report()` (semantic measures) is compared with the rows of the matching `rpt_*` model.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from adventure_elt.oltp import server
from adventure_elt.oltp.generator import seed
from adventure_elt.replicate.sync import sync
from adventure_elt.report import count, money, report
from adventure_elt.semantic import query
from adventure_elt.settings import Settings
from adventure_elt.transform import transform

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]


@pytest.fixture
def built_warehouse(source_settings: Settings) -> Iterator[Settings]:
    """A warehouse built by the real pipeline from a small synthetic source."""
    with server.connect(source_settings) as conn:
        seed(conn, scale=0.05, seed=1)
    sync(source_settings)
    transform(source_settings)
    yield source_settings


def _rows(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_semantic_report_equals_the_report_models(built_warehouse: Settings) -> None:
    settings = built_warehouse

    document = report(settings)

    product_sales = [
        {"category": c, "subcategory": s, "orders": count(o), "units": count(u),
         "revenue": money(r)}
        for c, s, o, u, r in _rows(settings, "select category, subcategory, orders, units,"
                                   " revenue from reports.rpt_product_sales order by 1, 2")
    ]  # fmt: skip
    assert document["product_sales"] == product_sales and len(product_sales) > 10
    new_customers = [
        {"year": y, "month": m, "new_customers": n}
        for y, m, n in _rows(
            settings,
            "select year, month, new_customers from reports.rpt_new_customers order by 1, 2",
        )
    ]
    assert document["new_customers"] == new_customers
    (customers, orders, revenue, aov, spend), = _rows(
        settings, "select customers_with_orders, orders, revenue, avg_order_value,"
        " avg_spend_per_customer from reports.rpt_customer_summary"
    )  # fmt: skip
    assert document["customer_summary"] == {
        "customers_with_orders": customers,
        "orders": orders,
        "revenue": money(revenue),
        "avg_order_value": money(aov),
        "avg_spend_per_customer": money(spend),
    }
    statuses = _rows(
        settings,
        "select status, orders, revenue from reports.rpt_order_status order by status_code",
    )
    assert document["order_status"] == [
        {"status": s, "orders": o, "revenue": money(r)} for s, o, r in statuses
    ]
    assert len(statuses) == 6, "the synthetic data has every status"
    geography = _rows(
        settings,
        "select country, state_province, city, orders, revenue from reports.rpt_geography"
        " order by 1, 2, 3",
    )
    assert document["geography"] == [
        {"country": c, "state_province": s, "city": t, "orders": o, "revenue": money(r)}
        for c, s, t, o, r in geography
    ]
    assert document["web_traffic"] == []

    # the dashboard's "orders by status over time" equals rpt_order_status_monthly
    table = query(["orders", "revenue"], ["order_date.month", "order_status.status"], [], [],
                  None, settings)  # fmt: skip
    semantic = {
        (r["order_date_month"], r["order_status_status"]): (r["orders"], r["revenue"])
        for r in table.to_pylist()
    }
    model = {
        (m, s): (o, r)
        for m, s, o, r in _rows(
            settings,
            "select month_start_date, status, orders, revenue"
            " from reports.rpt_order_status_monthly",
        )
    }
    assert semantic == model
