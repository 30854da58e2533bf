"""The dashboard under Streamlit's AppTest: every page renders, the headline numbers are the
report's, and the filters change the numbers the way a reader expects.

The warehouse is the `demo_warehouse` fixture: the real pipeline on a small synthetic source,
plus streamed web events. Expected figures come from `report()` (the report models) or, for the
date range, from SQL on the marts — never from the semantic layer the dashboard itself uses.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

pytest.importorskip("streamlit", reason="the dashboard extra (streamlit) is not installed")

from streamlit.testing.v1 import AppTest

from adventure_elt.dashboard import APP_PATH
from adventure_elt.dashboard.headline import HEADLINE_KEY
from adventure_elt.dashboard.numbers import count_text, money_short
from adventure_elt.report import Report, money, report
from adventure_elt.settings import Settings
from adventure_elt.warehouse import open_warehouse

pytestmark = pytest.mark.postgres

# page file -> its title
PAGES = {
    "views/categories.py": "Revenue by product category",
    "views/new_customers.py": "New customers per month",
    "views/order_status.py": "Orders by status over time",
    "views/geography.py": "Orders and revenue by country",
    "views/web_traffic.py": "Web visits vs order value by country",
    "views/live.py": "Live web traffic",
}


@pytest.fixture(scope="module")
def figures(demo_warehouse: Settings) -> Report:
    """The `report --json` document of the demo warehouse."""
    return report(demo_warehouse)


@pytest.fixture
def app(demo_warehouse: Settings, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The dashboard after its first run, pointed at the demo warehouse as `dashboard` does."""
    monkeypatch.setenv("ADVENTURE_ELT_WAREHOUSE", "duckdb")
    monkeypatch.setenv("ADVENTURE_ELT_DUCKDB_PATH", str(demo_warehouse.duckdb_path))
    return AppTest.from_file(str(APP_PATH), default_timeout=60).run()


def _open(app: AppTest, page: str) -> AppTest:
    app.switch_page(page).run()
    assert not app.exception, [e.message for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    return app


def _metric(app: AppTest, label: str) -> str:
    values = [m.value for m in app.metric if m.label == label]
    assert values, f"no metric {label!r} on the page"
    return str(values[0])


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_without_exception(app: AppTest, page: str) -> None:
    _open(app, page)
    assert [t.value for t in app.title] == [PAGES[page]]
    charts = app.get("vega_lite_chart")
    assert charts, f"{page} draws no chart"


def test_headline_numbers_equal_the_report(app: AppTest, figures: Report) -> None:
    summary = figures["customer_summary"]
    shown = app.session_state[HEADLINE_KEY]
    assert money(shown["revenue"]) == summary["revenue"]
    assert shown["orders"] == summary["orders"]
    assert shown["customers"] == summary["customers_with_orders"]
    assert money(shown["avg_order_value"]) == summary["avg_order_value"]
    assert _metric(app, "Revenue") == money_short(summary["revenue"])
    assert _metric(app, "Orders") == count_text(summary["orders"])
    assert _metric(app, "Customers") == count_text(summary["customers_with_orders"])
    assert _metric(app, "Average order value") == money_short(summary["avg_order_value"])


def test_country_filter_keeps_only_that_country(app: AppTest, figures: Report) -> None:
    cities = figures["geography"]
    country = max(
        {c["country"] for c in cities},
        key=lambda n: sum(c["revenue"] for c in cities if c["country"] == n),
    )
    mine = [c for c in cities if c["country"] == country]

    app.multiselect(key="countries").set_value([country]).run()

    shown = app.session_state[HEADLINE_KEY]
    assert shown["orders"] == sum(c["orders"] for c in mine)
    assert shown["revenue"] == pytest.approx(sum(c["revenue"] for c in mine), abs=0.01 * len(mine))
    assert shown["revenue"] < figures["customer_summary"]["revenue"]
    _open(app, "views/geography.py")
    assert app.selectbox(key="country").options == [country]
    states = {c["state_province"] for c in mine}
    assert set(app.selectbox(key="state").options) == states


def test_category_filter_and_drill_down(app: AppTest, figures: Report) -> None:
    sales = figures["product_sales"]
    category = sorted({s["category"] for s in sales})[-1]
    mine = [s for s in sales if s["category"] == category]

    app.multiselect(key="categories").set_value([category]).run()

    shown = app.session_state[HEADLINE_KEY]
    assert shown["revenue"] == pytest.approx(sum(s["revenue"] for s in mine), abs=0.01 * len(mine))
    assert app.selectbox(key="drill_category").options == [category]
    subcategories = app.dataframe[1].value
    assert dict(zip(subcategories["subcategory"], subcategories["units"], strict=True)) == {
        s["subcategory"]: s["units"] for s in mine
    }


def test_date_range_counts_the_orders_and_new_customers_of_those_days(
    app: AppTest, figures: Report, demo_warehouse: Settings
) -> None:
    start, end = date(2013, 1, 1), date(2013, 12, 31)
    with open_warehouse(demo_warehouse, read_only=True) as warehouse:
        ((orders, revenue),) = warehouse.fetch_all(
            "select count(distinct sales_order_id), sum(line_total) from marts.fct_sales"
            " where order_date between ? and ?",
            [start, end],
        )
    new_in_2013 = sum(n["new_customers"] for n in figures["new_customers"] if n["year"] == 2013)

    app.date_input(key="dates").set_value((start, end)).run()

    shown = app.session_state[HEADLINE_KEY]
    assert shown["orders"] == orders
    assert money(shown["revenue"]) == money(revenue)
    _open(app, "views/new_customers.py")
    assert _metric(app, "New customers") == count_text(new_in_2013)


def test_web_traffic_page_and_live_panel_show_the_streamed_sessions(
    app: AppTest, figures: Report
) -> None:
    visits = sum(w["visits"] for w in figures["web_traffic"])
    sessions = sum(w["sessions"] for w in figures["web_traffic"])
    assert visits == 600

    _open(app, "views/web_traffic.py")
    assert _metric(app, "Web visits") == count_text(visits)

    _open(app, "views/live.py")
    app.segmented_control(key="live_window").set_value("24 hours").run()
    assert not app.exception
    assert _metric(app, "Sessions") == count_text(sessions)
    assert _metric(app, "Visits") == count_text(visits)


def test_pages_say_what_to_do_when_the_warehouse_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADVENTURE_ELT_DUCKDB_PATH", str(tmp_path / "none.duckdb"))
    app = AppTest.from_file(str(APP_PATH), default_timeout=60).run()
    assert not app.exception
    assert "does not exist yet" in app.error[0].value
