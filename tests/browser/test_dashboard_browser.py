"""The dashboard in real headless Chromium, on the real AdventureWorks data, as a business user
uses it: every address the README names opens its page (a screenshot of each), a shared link
opens filtered, bars drill down on a click and the drill-down is in the link, presets show the
change against the period before, a link's bad values are noted, tables download as CSV, pages
show only the filters that apply to them, and the fulfilment, live, live orders and freshness
figures are the data's.

Expected figures come from plain SQL on the marts, raw tables and ops.runs — never from the
dashboard's code or the semantic layer it reads. The warehouse is built by the real pipeline
from the real CSV files (load-csv → sync → transform → test → report, plus streamed web events);
$DASHBOARD_WAREHOUSE names another DuckDB file to show instead. Screenshots go to the test's own
folder, or to $DASHBOARD_SCREENSHOTS when set (that is how docs/*.png are made):

    DASHBOARD_SCREENSHOTS=docs .venv/bin/pytest tests/browser -m browser
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest

from adventure_elt.paths import adventureworks_dir
from adventure_elt.settings import Settings
from adventure_elt.warehouse import open_warehouse
from pipeline_warehouse import pipeline_warehouse

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.e2e]

README = Path(__file__).resolve().parents[2] / "README.md"
CHROMIUM = Path("/usr/bin/chromium")
# --headless and --user-data-dir are set through Playwright's own options.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# url path -> the page's title; "" is the overview, at the root.
TITLES = {
    "": "AdventureWorks at a glance",
    "categories": "Revenue by product category",
    "new_customers": "New customers per month",
    "order_status": "Order status and fulfilment",
    "geography": "Orders and revenue by country",
    "web_traffic": "Web visits vs order value by country",
    "live": "Live web traffic",
    "live_orders": "Live orders",
    "freshness": "Data freshness",
}
README_URL = re.compile(r"http://localhost:8501(/[^\s`)\]|]*)")
TIMEOUT_MS = 90_000
ERROR_ELEMENTS = "[data-testid=stException], [data-testid=stAlertContentError]"
# Web events streamed into the warehouse: how many in each of the minutes before the test.
EVENTS_PER_MINUTE = (40, 55, 80, 95, 70, 60, 85, 110, 90, 70, 65, 80)


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def warehouse(pg_admin_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """$DASHBOARD_WAREHOUSE, else a warehouse the real pipeline builds from the real data."""
    given = os.environ.get("DASHBOARD_WAREHOUSE")
    if given:
        yield Settings(duckdb_path=Path(given).resolve())
        return
    from adventure_elt.oltp.loader import load_csv
    from adventure_elt.stream.generator import EventGenerator, event_lines

    generator = EventGenerator(seed=1, clock=_minutes_ago(EVENTS_PER_MINUTE))
    events = b"".join(event_lines(generator, count=sum(EVENTS_PER_MINUTE)))
    with pipeline_warehouse(
        pg_admin_dsn,
        tmp_path_factory.mktemp("real-warehouse"),
        lambda conn: load_csv(conn, adventureworks_dir()),
        events,
    ) as settings:
        yield settings


@pytest.fixture(scope="module")
def dashboard_url(warehouse: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run` of the app on a free loopback port, as `adventure-elt dashboard` runs it;
    yields its URL once Streamlit says it is serving, and stops it afterwards."""
    pytest.importorskip("streamlit", reason="the dashboard extra (streamlit) is not installed")
    from adventure_elt.dashboard.launch import dashboard_env, dashboard_url, streamlit_command

    home = tmp_path_factory.mktemp("streamlit")
    port = _free_port()
    env = dashboard_env(warehouse)
    env["HOME"] = str(home)  # Streamlit keeps a ~/.streamlit folder
    process = subprocess.Popen(
        streamlit_command("127.0.0.1", port),
        env=env,
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    ready = threading.Event()
    output: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.decode(errors="replace")
            output.append(line)
            if "URL:" in line:
                ready.set()
        ready.set()  # ended: let the test fail with the output

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        ready.wait(timeout=60)
        if process.poll() is not None or not any("URL:" in line for line in output):
            pytest.fail("Streamlit did not start:\n" + "".join(output))
        yield dashboard_url("127.0.0.1", port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's chromium, or Google Chrome (GitHub's runners have it); the tests skip, saying
    so, where neither is installed."""
    found = CHROMIUM if CHROMIUM.is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found is None and (which := shutil.which(name)):
            found = Path(which)
    if found is None:
        pytest.skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
    pytest.importorskip("playwright", reason="playwright (dev extra) is not installed")
    return found


@pytest.fixture(scope="module")
def page(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    """One browser tab for the module's tests (each opens its own addresses)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # A persistent context is how Playwright takes --user-data-dir (a fresh profile).
        browser = playwright.chromium.launch_persistent_context(
            tmp_path_factory.mktemp("chromium"),
            executable_path=str(chromium),
            args=CHROMIUM_FLAGS,
            headless=True,
            viewport={"width": 1600, "height": 1400},
            accept_downloads=True,
        )
        # Streamlit saves a table's CSV through the File System Access API where the browser
        # has one: a save dialog nobody answers in a headless browser. Without it (as in Firefox
        # or Safari) Streamlit downloads the file, which Playwright can catch.
        browser.add_init_script(
            "Object.defineProperty(window, 'showSaveFilePicker', {value: undefined});"
        )
        try:
            tab = browser.new_page()
            tab.set_default_timeout(TIMEOUT_MS)
            yield tab
        finally:
            browser.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("DASHBOARD_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


# ----------------------------------------------------------------------------- tests


def test_every_address_the_readme_names_opens_its_page(
    page: Page, dashboard_url: str, shots: Path
) -> None:
    paths = list(dict.fromkeys(README_URL.findall(README.read_text())))
    named = {p.split("?")[0].strip("/") for p in paths}
    assert named == set(TITLES), "the README names every page's address, and only those"
    problems: dict[str, list[str]] = {}
    for path in paths:
        _open(page, f"{dashboard_url}{path}")
        name = path.split("?")[0].strip("/")
        assert page.get_by_text("Page not found").count() == 0, path
        assert page.locator("h1").first.inner_text() == TITLES[name], path
        page.screenshot(path=str(shots / f"{name or 'overview'}.png"))
        if errors := page.locator(ERROR_ELEMENTS).all_inner_texts():
            problems[path] = errors
    assert not problems, problems
    assert {p.stem for p in shots.glob("*.png")} >= {n or "overview" for n in TITLES}


def test_a_shared_link_opens_filtered_and_a_click_drills_down(
    page: Page, dashboard_url: str, warehouse: Settings
) -> None:
    ((revenue,),) = _sql(warehouse, f"select sum(s.line_total) {SALES_IN_COUNTRY}", ["Canada"])
    states = [
        name
        for name, _ in _sql(
            warehouse,
            "select a.state_province_name, sum(s.line_total) as revenue"
            f" {SALES_IN_COUNTRY} group by 1 order by revenue desc",
            ["Canada"],
        )
    ]
    if "DASHBOARD_WAREHOUSE" not in os.environ:
        assert round(revenue / 10_000) / 100 == 16.36  # the real data: Canada's 16.36 M

    _open(page, f"{dashboard_url}/geography?country=Canada")

    assert _value(page, "Revenue") == _short_money(revenue)
    chosen = _sidebar(page).locator("[data-testid=stMultiSelect]").first.inner_text()
    assert "Canada" in chosen and "All countries" not in chosen
    assert _sidebar(page).locator("[data-testid=stAlertContentWarning]").count() == 0
    assert "country=Canada" in page.url
    # A click on the second state's bar drills into its cities, and the link says so.
    _bar(page, "State / province", states[1]).click()
    page.wait_for_url(re.compile(r"drill_state="))
    _settle(page)
    assert page.get_by_role("heading", name=f"Top cities in {states[1]}").count() == 1
    shared = page.url
    _open(page, shared)
    assert page.get_by_role("heading", name=f"Top cities in {states[1]}").count() == 1
    assert "country=Canada" in page.url


def test_a_preset_shows_changes_and_a_links_bad_values_are_noted(
    page: Page, dashboard_url: str, warehouse: Settings, tmp_path: Path
) -> None:
    ((last,),) = _sql(warehouse, "select max(order_date) from marts.fct_orders")
    start, before = _last_12_months(last)
    revenue_in = "select sum(line_total) from marts.fct_sales where order_date between ? and ?"
    ((now,),) = _sql(warehouse, revenue_in, [start, last])
    ((then,),) = _sql(warehouse, revenue_in, [before, start - timedelta(days=1)])
    ((total,),) = _sql(warehouse, "select sum(line_total) from marts.fct_sales")
    by_category = dict(
        _sql(
            warehouse,
            "select p.category_name, sum(s.line_total) from marts.fct_sales as s"
            " join marts.dim_product as p on p.product_key = s.product_key"
            " where s.order_date between ? and ? group by 1",
            [start, last],
        )
    )

    _open(page, f"{dashboard_url}/categories?country=Atlantis&from=2013-02-30")

    notes = " ".join(
        _sidebar(page).locator("[data-testid=stAlertContentWarning]").all_inner_texts()
    )
    assert "country=Atlantis" in notes and "from=2013-02-30" in notes
    assert _value(page, "Revenue") == _short_money(total)  # the bad values were not applied
    _sidebar(page).get_by_text("Last 12 months", exact=True).click()
    page.wait_for_url(re.compile(rf"from={start.isoformat()}"))
    _settle(page)
    assert _value(page, "Revenue") == _short_money(now)
    change = (float(now) - float(then)) / float(then)
    assert f"{change:+.1%}" in _metric(page, "Revenue").inner_text()
    assert "vs previous 12 months" in _metric(page, "Revenue").inner_text()
    named = f"{before:%b %Y} – {start - timedelta(days=1):%b %Y}"
    assert page.get_by_text(f"Changes against {named}, the previous 12 months.").count() == 1
    # The last month of the data is marked on the monthly chart.
    marked = page.locator("[data-testid=stVegaLiteChart] text", has_text="incomplete")
    assert marked.count() >= 1, f"no incomplete mark though the data ends on {last}"
    # Drill down by a click; the figures download as CSV, labelled and exact.
    _bar(page, "Category", "Components").click()
    page.wait_for_url(re.compile(r"drill_category=Components"))
    _settle(page)
    assert page.get_by_role("heading", name="Components by subcategory").count() == 1
    rows = _download_csv(page, "The figures", tmp_path)
    assert list(rows[0]) == ["Category", "Revenue", "Units", "Orders"]
    assert {r["Category"]: float(r["Revenue"]) for r in rows} == pytest.approx(
        {k: float(v) for k, v in by_category.items()}, abs=0.01
    )


def test_each_page_shows_only_its_filters_and_the_datas_own_figures(
    page: Page, dashboard_url: str, warehouse: Settings, tmp_path: Path
) -> None:
    since = datetime.now(UTC) - timedelta(hours=24)
    ((events,),) = _sql(
        warehouse, 'select count(*) from raw.web_events where "timestamp" >= ?', [since]
    )
    ((days, open_orders),) = _sql(
        warehouse,
        "select avg(ship_date - order_date), count(*) filter (where ship_date is null)"
        " from marts.fct_orders",
    )
    ((last_order,),) = _sql(warehouse, "select max(order_date) from marts.fct_orders")
    ((headers,),) = _sql(
        warehouse,
        "select count(*) from raw.sales_salesorderheader where not coalesce(_is_deleted, false)",
    )
    failed = [step for step, status in _sql(warehouse, LATEST_RUN) if status != "ok"]
    newest_orders = _sql(
        warehouse,
        "select salesorderid from raw.sales_salesorderheader where not coalesce(_is_deleted,"
        " false) order by modifieddate desc, salesorderid desc limit 20",
    )

    # Live: no sales filter, and the first thing shown is page views per minute.
    _open(page, f"{dashboard_url}/live?window=24+hours")
    assert _sidebar(page).get_by_role("heading", name="Filters").count() == 0
    assert page.locator("h3").first.inner_text() == "Page views per minute"
    assert _value(page, "Visits") == f"{events:,}"

    # Live orders: no sales filter; the latest orders are raw's, newest written first.
    _open(page, f"{dashboard_url}/live_orders?window=24+hours")
    assert _sidebar(page).get_by_role("heading", name="Filters").count() == 0
    latest = _download_csv(page, "Latest orders", tmp_path)
    assert [int(r["Order"]) for r in latest] == [order for (order,) in newest_orders]

    # Web traffic: only the country filter; the funnel and devices instead of a correlation.
    _open(page, f"{dashboard_url}/web_traffic")
    assert _sidebar(page).locator("[data-testid=stMultiSelect]").count() == 1
    assert _sidebar(page).locator("[data-testid=stDateInput]").count() == 0
    for heading in ("Funnel", "Conversion by device"):
        assert page.get_by_role("heading", name=heading).count() == 1
    assert page.get_by_text(re.compile(r"r = -?\d")).count() == 0

    # Fulfilment: per order, so no category filter; the figures are the order dates'.
    _open(page, f"{dashboard_url}/order_status")
    assert _sidebar(page).locator("[data-testid=stMultiSelect]").count() == 1
    assert _value(page, "Days from order to ship") == f"{days:.1f}"
    assert _value(page, "Not shipped yet") == f"{open_orders:,}"

    # Freshness: the raw copy's rows and the last run.
    _open(page, f"{dashboard_url}/freshness")
    assert _value(page, "Orders up to") == f"{last_order.day} {last_order:%b %Y}"
    assert _value(page, "Last pipeline run") == (f"failed at {failed[0]}" if failed else "ok")
    rows = _download_csv(page, "Source tables", tmp_path)
    assert {r["Table"]: r["Rows"] for r in rows}["sales.salesorderheader"] == str(headers)


def test_a_period_link_and_the_presets_show_the_datas_revenue_and_change(
    page: Page, dashboard_url: str, warehouse: Settings
) -> None:
    ((first, last),) = _sql(
        warehouse, "select min(order_date), max(order_date) from marts.fct_orders"
    )
    revenue_in = "select sum(line_total) from marts.fct_sales where order_date between ? and ?"
    ((bikes_2013,),) = _sql(
        warehouse,
        f"select sum(s.line_total) {SALES_OF_CATEGORY} and s.order_date between ? and ?",
        ["Bikes", date(2013, 1, 1), date(2013, 12, 31)],
    )

    # A shared link with a category and a period opens with them applied.
    _open(page, f"{dashboard_url}/categories?category=Bikes&from=2013-01-01&to=2013-12-31")
    assert _value(page, "Revenue") == _short_money(bikes_2013)

    # Each preset sets the link's days and the cards (days at the data's own ends may be left
    # out of the link: they are no filter).
    _open(page, f"{dashboard_url}/")
    presets = {
        "Year to date": (date(last.year, 1, 1), last),
        "Previous year": (date(last.year - 1, 1, 1), date(last.year - 1, 12, 31)),
        "All": (first, last),
    }
    for preset, (start, end) in presets.items():
        expected = {
            "from": None if start == first else start.isoformat(),
            "to": None if end == last else end.isoformat(),
        }
        _sidebar(page).get_by_text(preset, exact=True).click()
        page.wait_for_url(lambda url, want=expected: _link_days(url, first, last) == want)
        _settle(page)
        ((revenue,),) = _sql(warehouse, revenue_in, [start, end])
        assert _value(page, "Revenue") == _short_money(revenue), preset
        if preset == "Previous year":
            ((before,),) = _sql(
                warehouse, revenue_in, [date(last.year - 2, 1, 1), date(last.year - 2, 12, 31)]
            )
            change = (float(revenue) - float(before)) / float(before)
            delta = _metric(page, "Revenue").inner_text()
            assert f"{change:+.1%}" in delta and "vs previous 12 months" in delta


def test_a_click_on_a_country_or_a_subcategory_bar_drills_down(
    page: Page, dashboard_url: str, warehouse: Settings
) -> None:
    countries = [
        name
        for name, _ in _sql(
            warehouse,
            "select a.country_name, sum(s.line_total) as revenue from marts.fct_sales as s"
            " join marts.dim_address as a on a.address_key = s.ship_to_address_key"
            " group by 1 order by revenue desc",
        )
    ]
    subcategories = [
        name
        for name, _ in _sql(
            warehouse,
            f"select p.subcategory_name, sum(s.line_total) as revenue {SALES_OF_CATEGORY}"
            " group by 1 order by revenue desc",
            ["Bikes"],
        )
    ]

    _open(page, f"{dashboard_url}/geography")
    _bar(page, "Country", countries[1]).click()
    page.wait_for_url(re.compile(r"drill_country="))
    _settle(page)
    assert page.get_by_role("heading", name=f"{countries[1]} by state / province").count() == 1

    _open(page, f"{dashboard_url}/categories?drill_category=Bikes")
    _bar(page, "Subcategory", subcategories[1]).click()
    page.wait_for_url(re.compile(r"drill_subcategory="))
    _settle(page)
    top = re.compile(rf"^Top \d+ products of {re.escape(subcategories[1])}$")
    assert page.get_by_role("heading", name=top).count() == 1


def test_the_fulfilment_page_counts_late_orders_as_the_data_does(
    page: Page, dashboard_url: str, warehouse: Settings
) -> None:
    ((late, unshipped),) = _sql(
        warehouse,
        "select count(*) filter (where ship_date > due_date),"
        " count(*) filter (where ship_date is null) from marts.fct_orders",
    )

    _open(page, f"{dashboard_url}/order_status")

    assert page.get_by_role("heading", name="Orders late or not shipped, by month").count() == 1
    bars = page.locator("[data-testid=stVegaLiteChart] [aria-roledescription=bar]")
    late_bars = bars.evaluate_all(
        "marks => marks.map(m => m.getAttribute('aria-label'))"
        ".filter(label => label.includes('Shipped late'))"
    )
    charted = sum(
        int(re.search(r"Orders: ([\d,]+)", label)[1].replace(",", "")) for label in late_bars
    )
    assert charted == late
    all_shipped = page.get_by_text("Every order in these months shipped, none after its due date.")
    assert all_shipped.count() == (1 if late == unshipped == 0 else 0)


# ----------------------------------------------------------------------------- helpers

SALES_IN_COUNTRY = (
    "from marts.fct_sales as s"
    " join marts.dim_address as a on a.address_key = s.ship_to_address_key"
    " where a.country_name = ?"
)
SALES_OF_CATEGORY = (
    "from marts.fct_sales as s"
    " join marts.dim_product as p on p.product_key = s.product_key"
    " where p.category_name = ?"
)
LATEST_RUN = (
    "select step, status from ops.runs where run_id ="
    " (select run_id from ops.runs order by started_at desc limit 1) order by started_at"
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _minutes_ago(per_minute: tuple[int, ...]) -> Callable[[], datetime]:
    """A clock for the event generator: over the last `len(per_minute)` minutes, as many ticks
    in each as `per_minute` says, evenly spread within it."""
    minute = timedelta(minutes=1)
    start = datetime.now(UTC) - minute * len(per_minute)
    ticks = iter(
        [
            start + minute * m + minute * i / count
            for m, count in enumerate(per_minute)
            for i in range(count)
        ]
    )
    return lambda: next(ticks)


def _sql(settings: Settings, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with open_warehouse(settings, read_only=True) as warehouse:
        return warehouse.fetch_all(sql, params)


def _open(page: Page, url: str) -> None:
    page.goto(url)
    _settle(page)


def _settle(page: Page) -> None:
    """Wait until the script has run to its end and the page has drawn its figures."""
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]")
    page.wait_for_selector(
        "[data-testid=stMetric], [data-testid=stVegaLiteChart], [data-testid=stDataFrame]"
    )
    page.wait_for_load_state("networkidle")


def _sidebar(page: Page) -> Locator:
    return page.locator("[data-testid=stSidebar]")


def _metric(page: Page, label: str) -> Locator:
    exact = page.locator("[data-testid=stMetricLabel]", has_text=re.compile(rf"^{label}$"))
    return page.locator("[data-testid=stMetric]", has=exact).first


def _value(page: Page, label: str) -> str:
    return _metric(page, label).locator("[data-testid=stMetricValue]").inner_text()


def _bar(page: Page, title: str, name: str) -> Locator:
    """The bar of `name` in a bar chart whose labels are titled `title` (Vega's SVG marks
    carry their tooltip fields in aria-label)."""
    return page.locator(
        f'[data-testid=stVegaLiteChart] [aria-roledescription=bar][aria-label*="{title}: {name};"]'
    ).first


def _download_csv(page: Page, near: str, folder: Path) -> list[dict[str, str]]:
    """The first table after the text `near` (an expander is opened), downloaded as CSV
    through the table's toolbar."""
    anchor = page.get_by_text(near).first
    if anchor.locator("xpath=ancestor-or-self::summary").count():
        anchor.click()
    table = page.locator("[data-testid=stDataFrame]").filter(visible=True).first
    table.scroll_into_view_if_needed()
    table.hover()  # the toolbar shows on hover; it overlaps the element above, hence no click
    with page.expect_download() as download:
        table.get_by_role("button", name="Download as CSV").dispatch_event("click")
    path = folder / "download.csv"
    download.value.save_as(path)
    with path.open(newline="", encoding="utf-8-sig") as file:
        return list(csv.DictReader(file))


def _link_days(url: str, first: date, last: date) -> dict[str, str | None]:
    """The link's `from` and `to` days; one naming the data's own first or last day counts as
    none (it is no filter)."""
    query = parse_qs(urlsplit(url).query)
    ends = {"from": first.isoformat(), "to": last.isoformat()}
    days = {name: query.get(name, [None])[0] for name in ends}
    return {name: None if day == ends[name] else day for name, day in days.items()}


def _short_money(value: Any) -> str:
    """Money over a million as the cards write it: `$16.36M`."""
    amount = float(value)
    assert amount >= 1e6, "the checks compare figures in millions"
    return f"${amount / 1e6:,.2f}M"


def _last_12_months(last: date) -> tuple[date, date]:
    """The first day of the 12 months up to `last`, and of the 12 months before them (whole
    calendar months when `last` ends a month, as on the real data)."""
    following = last + timedelta(days=1)
    assert following.day == 1, "these checks expect data ending on a month's last day"
    return following.replace(year=following.year - 1), following.replace(year=following.year - 2)
