"""The dashboard under Streamlit's AppTest: every page renders, the headline numbers are the
report's, and the filters, links, periods and drill-downs change the numbers the way a reader
expects.

The warehouse is the `demo_warehouse` fixture: the real pipeline on a small synthetic source,
plus streamed web events. Expected figures come from `report()` (the report models) or from
plain SQL on the marts and raw tables — never from the semantic layer the dashboard itself uses.
The same behaviours are checked in a real browser by tests/browser.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

pytest.importorskip("streamlit", reason="the dashboard extra (streamlit) is not installed")

from streamlit.testing.v1 import AppTest

from adventure_elt.dashboard import APP_PATH
from adventure_elt.dashboard.headline import HEADLINE_KEY
from adventure_elt.dashboard.numbers import money_short
from adventure_elt.report import Report, money, report
from adventure_elt.settings import Settings
from adventure_elt.warehouse import open_warehouse

pytestmark = pytest.mark.postgres

# page file -> its title
PAGES = {
    "views/overview.py": "AdventureWorks at a glance",
    "views/categories.py": "Revenue by product category",
    "views/new_customers.py": "New customers per month",
    "views/order_status.py": "Order status and fulfilment",
    "views/geography.py": "Orders and revenue by country",
    "views/web_traffic.py": "Web visits vs order value by country",
    "views/live.py": "Live web traffic",
    "views/live_orders.py": "Live orders",
    "views/freshness.py": "Data freshness",
}
SALES_BY_COUNTRY = (
    "select count(distinct s.sales_order_id), sum(s.line_total) from marts.fct_sales as s"
    " join marts.dim_address as a on a.address_key = s.ship_to_address_key"
    " where a.country_name = ?"
)


@pytest.fixture(scope="module")
def figures(demo_warehouse: Settings) -> Report:
    """The `report --json` document of the demo warehouse."""
    return report(demo_warehouse)


def _sql(settings: Settings, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with open_warehouse(settings, read_only=True) as warehouse:
        return warehouse.fetch_all(sql, params)


def _app(settings: Settings, monkeypatch: pytest.MonkeyPatch, **params: Any) -> AppTest:
    """The dashboard pointed at the warehouse as `dashboard` does, opened with a link's query
    parameters, after its first run."""
    monkeypatch.setenv("ADVENTURE_ELT_WAREHOUSE", "duckdb")
    monkeypatch.setenv("ADVENTURE_ELT_DUCKDB_PATH", str(settings.duckdb_path))
    app = AppTest.from_file(str(APP_PATH), default_timeout=60)
    app.query_params.update(params)
    return app.run()


@pytest.fixture
def app(demo_warehouse: Settings, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return _app(demo_warehouse, monkeypatch)


def _open(app: AppTest, page: str) -> AppTest:
    app.switch_page(page).run()
    _no_error(app)
    return app


def _no_error(app: AppTest) -> None:
    assert not app.exception, [e.message for e in app.exception]
    assert not app.error, [e.value for e in app.error]


def _metric(app: AppTest, label: str) -> Any:
    found = [m for m in app.metric if m.label == label]
    assert found, f"no metric {label!r} on the page"
    return found[0]


def _charts(app: AppTest) -> list[pd.DataFrame]:
    """The data of every chart on the page (each layer's data set)."""
    return [
        pa.ipc.open_stream(data.data.data).read_all().to_pandas()
        for chart in app.get("vega_lite_chart")
        for data in chart.proto.datasets  # type: ignore[attr-defined]
    ]


def _table(app: AppTest, first_column: str) -> pd.DataFrame:
    """The page's table whose first column is labelled `first_column`."""
    found = [t.value for t in app.dataframe if t.value.columns[0] == first_column]
    assert found, f"no table of {first_column!r} on the page"
    return found[0]


def _keys(app: AppTest) -> set[str]:
    """The keys of the sidebar's widgets on the page."""
    return {w.key for w in app.sidebar if getattr(w, "key", None)}


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_without_exception(app: AppTest, page: str) -> None:
    _open(app, page)
    assert [t.value for t in app.title] == [PAGES[page]]
    assert app.get("vega_lite_chart") or app.dataframe, f"{page} shows nothing"


def test_headline_numbers_equal_the_report(app: AppTest, figures: Report) -> None:
    summary = figures["customer_summary"]
    shown = app.session_state[HEADLINE_KEY]
    assert money(shown["revenue"]) == summary["revenue"]
    assert shown["orders"] == summary["orders"]
    assert shown["customers"] == summary["customers_with_orders"]
    assert money(shown["avg_order_value"]) == summary["avg_order_value"]
    assert _metric(app, "Orders").value == f"{summary['orders']:,}"
    assert _metric(app, "Customers").value == f"{summary['customers_with_orders']:,}"
    # No period is chosen: no change is shown, and the page says how to get one.
    assert all(m.proto.delta == "" for m in app.metric)
    assert any("Pick a period" in c.value for c in app.caption)


def test_a_link_with_a_country_opens_filtered_and_drills_into_it(
    demo_warehouse: Settings, monkeypatch: pytest.MonkeyPatch, figures: Report
) -> None:
    cities = figures["geography"]
    country = max(
        {c["country"] for c in cities},
        key=lambda n: sum(c["revenue"] for c in cities if c["country"] == n),
    )
    ((orders, revenue),) = _sql(demo_warehouse, SALES_BY_COUNTRY, [country])

    app = _app(demo_warehouse, monkeypatch, country=country)

    _no_error(app)
    assert app.multiselect(key="country").value == [country]
    shown = app.session_state[HEADLINE_KEY]
    assert shown["orders"] == orders
    assert money(shown["revenue"]) == money(revenue)
    _open(app, "views/geography.py")
    assert app.selectbox(key="drill_country").options == [country]
    states = {c["state_province"] for c in cities if c["country"] == country}
    assert set(app.selectbox(key="drill_state").options) == states


def test_a_link_with_unknown_values_says_what_it_ignored(
    demo_warehouse: Settings, monkeypatch: pytest.MonkeyPatch, figures: Report
) -> None:
    hostile = "' OR 1=1 --"
    app = _app(
        demo_warehouse,
        monkeypatch,
        country=["Atlantis", hostile],
        category="[Bikes](http://e.vil)",
        **{"from": "2013-02-30", "to": "1999-01-01"},
    )

    _no_error(app)
    notes = " ".join(w.value for w in app.warning)
    assert "`country=Atlantis`" in notes and "`country=' OR 1=1 --`" in notes
    assert "`category=[Bikes](http://e.vil)`" in notes
    assert "`from=2013-02-30` from the link: not a date" in notes
    assert "`to=1999-01-01` from the link: the orders run from" in notes
    # Nothing of the link was applied: the figures are everyone's.
    assert app.multiselect(key="country").value == []
    assert (
        money(app.session_state[HEADLINE_KEY]["revenue"])
        == (figures["customer_summary"]["revenue"])
    )


def test_category_filter_and_drill_down_to_products(
    app: AppTest, figures: Report, demo_warehouse: Settings
) -> None:
    sales = figures["product_sales"]
    category = sorted({s["category"] for s in sales})[-1]
    mine = [s for s in sales if s["category"] == category]

    app.multiselect(key="category").set_value([category]).run()

    shown = app.session_state[HEADLINE_KEY]
    assert shown["revenue"] == pytest.approx(sum(s["revenue"] for s in mine), abs=0.01 * len(mine))
    _open(app, "views/categories.py")
    assert app.selectbox(key="drill_category").options == [category]
    subcategories = app.dataframe[1].value
    assert list(subcategories.columns) == ["Subcategory", "Revenue", "Units", "Orders"]
    assert dict(zip(subcategories["Subcategory"], subcategories["Units"], strict=True)) == {
        s["subcategory"]: s["units"] for s in mine
    }
    top = max(mine, key=lambda s: s["revenue"])["subcategory"]
    assert app.selectbox(key="drill_subcategory").value == top
    best = _sql(
        demo_warehouse,
        "select p.product_name, sum(s.line_total) as revenue from marts.fct_sales as s"
        " join marts.dim_product as p on p.product_key = s.product_key"
        " where p.subcategory_name = ? group by 1 order by revenue desc, 1 limit 10",
        [top],
    )
    products = _table(app, "Product")
    assert list(products["Product"]) == [name for name, _ in best]
    assert list(products["Revenue"]) == pytest.approx([float(r) for _, r in best], abs=0.01)


def test_a_date_range_counts_the_orders_and_new_customers_of_those_days(
    app: AppTest, figures: Report, demo_warehouse: Settings
) -> None:
    start, end = date(2013, 1, 1), date(2013, 6, 30)
    ((orders, revenue),) = _sql(
        demo_warehouse,
        "select count(distinct sales_order_id), sum(line_total) from marts.fct_sales"
        " where order_date between ? and ?",
        [start, end],
    )
    new_in_2013 = sum(
        n["new_customers"]
        for n in figures["new_customers"]
        if n["year"] == 2013 and n["month"] <= 6
    )

    app.date_input(key="from").set_value(start).run()
    app.date_input(key="to").set_value(end).run()

    shown = app.session_state[HEADLINE_KEY]
    assert shown["orders"] == orders
    assert money(shown["revenue"]) == money(revenue)
    assert app.segmented_control(key="period").value is None  # no preset is exactly that
    _open(app, "views/new_customers.py")
    assert _metric(app, "New customers").value == f"{new_in_2013:,}"


def test_last_12_months_ends_on_the_last_order_day_and_compares_with_the_12_before(
    app: AppTest, demo_warehouse: Settings
) -> None:
    ((last,),) = _sql(demo_warehouse, "select max(order_date) from marts.fct_orders")
    start = (
        date(last.year - 1, last.month, last.day)
        if (last.month, last.day) != (2, 29)
        else (date(last.year - 1, 3, 1))
    )
    window = "select sum(line_total) from marts.fct_sales where order_date > ? and order_date <= ?"
    ((now,),) = _sql(demo_warehouse, window, [start, last])
    ((before,),) = _sql(
        demo_warehouse, window, [date(start.year - 1, start.month, start.day), start]
    )

    app.segmented_control(key="period").set_value("Last 12 months").run()

    _no_error(app)
    assert app.date_input(key="to").value == last
    assert money(app.session_state[HEADLINE_KEY]["revenue"]) == money(now)
    change = (float(now) - float(before)) / float(before)
    assert _metric(app, "Revenue").proto.delta == f"{change:+.1%}"
    assert any("the previous 12 months" in c.value for c in app.caption)
    # The overview's monthly chart marks the data's last month as incomplete.
    bands = [f for f in _charts(app) if "note" in f.columns]
    assert [(b["note"][0], b["start"][0].date()) for b in bands] == [
        ("incomplete", last.replace(day=1))
    ]


def test_fulfilment_figures_are_the_order_dates(app: AppTest, demo_warehouse: Settings) -> None:
    ((days, late, open_orders),) = _sql(
        demo_warehouse,
        "select avg(ship_date - order_date), count(*) filter (where ship_date > due_date),"
        " count(*) filter (where ship_date is null) from marts.fct_orders",
    )

    _open(app, "views/order_status.py")

    assert _metric(app, "Days from order to ship").value == f"{days:.1f}"
    assert _metric(app, "Not shipped yet").value == f"{open_orders:,}"
    assert _metric(app, "Shipped on time").proto.delta == f"{late:,} late"
    assert "category" not in _keys(app)  # fulfilment is per order: no category filter


def test_web_traffic_page_and_live_panel_show_the_streamed_sessions(
    app: AppTest, figures: Report, demo_warehouse: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    visits = sum(w["visits"] for w in figures["web_traffic"])
    sessions = sum(w["sessions"] for w in figures["web_traffic"])
    assert visits == 600
    reached = [
        count
        for ((count,),) in (
            _sql(
                demo_warehouse,
                "select count(*) from marts.fct_web_sessions where deepest_funnel_stage >= ?",
                [stage],
            )
            for stage in range(6)
        )
    ]
    devices = _sql(
        demo_warehouse,
        "select device_type, count(*), sum(orders) from marts.fct_web_sessions group by 1",
    )

    _open(app, "views/web_traffic.py")
    assert _metric(app, "Web visits").value == f"{visits:,}"
    assert _keys(app) == {"country"}  # no order dates or products on web sessions
    assert not [m for m in app.metric if m.value.startswith("r =")]
    funnel = _table(app, "Stage")
    assert list(funnel["Stage"]) == [
        "Home",
        "Category",
        "Product",
        "Cart",
        "Checkout",
        "Order placed",
    ]
    assert list(funnel["Sessions"]) == reached and reached[0] == sessions
    conversion = _table(app, "Device").set_index("Device")["Conversion rate"].to_dict()
    assert conversion == pytest.approx({d: orders / n for d, n, orders in devices})

    # The live panel's windows end at its clock: held a minute after the newest event, so the
    # events stay inside them however long the tests before this one took.
    ((newest,),) = _sql(demo_warehouse, 'select max("timestamp") from raw.web_events')
    now = newest.astimezone(UTC) + timedelta(minutes=1)
    monkeypatch.setattr("adventure_elt.dashboard.data.utc_now", lambda: now)
    _open(app, "views/live.py")
    assert _keys(app) == set()  # the sales filters do nothing here: none is shown
    for window, minutes in (("15 minutes", 15), ("24 hours", 1440)):
        app.segmented_control(key="window").set_value(window).run()
        assert not app.exception
        assert _metric(app, "Sessions").value == f"{sessions:,}"
        assert _metric(app, "Visits").value == f"{visits:,}"
        per_minute = [f for f in _charts(app) if "page_views" in f.columns]
        assert len(per_minute) == 1 and per_minute[0]["page_views"].sum() == visits
        assert len(per_minute[0]) == minutes + 1  # every minute of the window, empty ones as 0


def test_live_orders_page_shows_the_orders_raw_holds_now(
    app: AppTest, demo_warehouse: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The panel's window ends at its clock: held a minute after the newest order written.
    headers = "from raw.sales_salesorderheader where not coalesce(_is_deleted, false)"
    ((newest,),) = _sql(demo_warehouse, f"select max(modifieddate) {headers}")
    now = newest.replace(tzinfo=UTC) + timedelta(minutes=1)
    monkeypatch.setattr("adventure_elt.dashboard.data.utc_now", lambda: now)
    ((in_day, due),) = _sql(
        demo_warehouse,
        f"select count(*), sum(totaldue) {headers} and modifieddate >= ?",
        [(now - timedelta(hours=24)).replace(tzinfo=None)],
    )
    latest = _sql(
        demo_warehouse,
        f"select salesorderid {headers} order by modifieddate desc, salesorderid desc limit 20",
    )

    _open(app, "views/live_orders.py")
    assert _keys(app) == set()  # the sales filters do nothing here: none is shown
    app.segmented_control(key="window").set_value("24 hours").run()
    _no_error(app)
    assert _metric(app, "Orders").value == f"{in_day:,}"
    assert _metric(app, "Total due").value == money_short(float(due))
    assert list(_table(app, "Order")["Order"]) == [order for (order,) in latest]


def test_freshness_page_shows_each_raw_table_and_the_last_run(
    app: AppTest, demo_warehouse: Settings
) -> None:
    ((orders,),) = _sql(demo_warehouse, "select count(*) from raw.sales_salesorderheader")
    ((run_id,),) = _sql(
        demo_warehouse, "select run_id from ops.runs order by started_at desc limit 1"
    )

    _open(app, "views/freshness.py")

    tables = app.dataframe[0].value
    rows = dict(zip(tables["Table"], tables["Rows"], strict=True))
    assert rows["sales.salesorderheader"] == orders
    assert rows["web events"] == 600
    runs = app.dataframe[1].value
    assert runs["Run"].iloc[0] == run_id
    assert set(runs["Step"]) == {"sync", "transform", "test", "report"}


def test_pages_say_what_to_do_when_the_warehouse_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADVENTURE_ELT_DUCKDB_PATH", str(tmp_path / "none.duckdb"))
    app = AppTest.from_file(str(APP_PATH), default_timeout=60).run()
    assert not app.exception
    assert "does not exist yet" in app.error[0].value
