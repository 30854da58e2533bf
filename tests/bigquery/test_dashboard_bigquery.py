"""The dashboard on BigQuery (the emulator): every page renders and the headline numbers are
the BigQuery report's. The same pages on DuckDB are tested in tests/unit/test_dashboard_apptest.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bq_helpers import both_engines, emulator_environment

pytest.importorskip("streamlit", reason="the dashboard extra (streamlit) is not installed")

from streamlit.testing.v1 import AppTest

from adventure_elt.dashboard import APP_PATH
from adventure_elt.dashboard.headline import HEADLINE_KEY
from adventure_elt.freshness import freshness
from adventure_elt.report import money, report
from adventure_elt.settings import Settings
from adventure_elt.stream.generator import EventGenerator, event_lines
from adventure_elt.stream.ingest import ingest_source
from adventure_elt.transform import transform
from adventure_elt.warehouse import open_warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.bigquery, pytest.mark.e2e]

PAGES = [
    "views/overview.py",
    "views/categories.py",
    "views/new_customers.py",
    "views/order_status.py",
    "views/geography.py",
    "views/web_traffic.py",
    "views/live.py",
    "views/live_orders.py",
    "views/freshness.py",
]


@pytest.fixture(scope="module")
def on_bigquery(
    bq_emulator: str, pg_admin_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """A small synthetic source synced into BigQuery (and DuckDB, unused), 600 web events
    streamed, then the models built."""
    home = tmp_path_factory.mktemp("dashboard-bq")
    with both_engines(bq_emulator, pg_admin_dsn, home, scale=0.02, seed=5) as (_, cloud):
        events = home / "events.jsonl"
        events.write_bytes(b"".join(event_lines(EventGenerator(seed=5), count=600)))
        ingest_source(cloud, events)
        transform(cloud)  # again: on the emulator the web views are built as tables
        yield cloud


@pytest.fixture
def app(on_bigquery: Settings, bq_emulator: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The dashboard as `adventure-elt --warehouse bigquery dashboard` starts it."""
    emulator_environment(monkeypatch, bq_emulator, on_bigquery.bigquery_dataset_prefix)
    monkeypatch.setenv("ADVENTURE_ELT_WAREHOUSE", "bigquery")
    return AppTest.from_file(str(APP_PATH), default_timeout=120).run()


def test_every_page_renders_on_bigquery_with_the_report_headline(
    app: AppTest, on_bigquery: Settings
) -> None:
    summary = report(on_bigquery)["customer_summary"]
    shown = app.session_state[HEADLINE_KEY]
    assert summary["orders"] > 0
    assert (money(shown["revenue"]), shown["orders"], shown["customers"]) == (
        summary["revenue"],
        summary["orders"],
        summary["customers_with_orders"],
    )
    for page in PAGES:
        app.switch_page(page).run()
        assert not app.exception, (page, [e.message for e in app.exception])
        assert not app.error, (page, [e.value for e in app.error])
        assert app.get("vega_lite_chart") or app.dataframe, f"{page} shows nothing"


def test_freshness_reads_the_raw_tables_on_bigquery(on_bigquery: Settings) -> None:
    with open_warehouse(on_bigquery, read_only=True) as warehouse:
        relation = warehouse.relation("raw", "sales_salesorderheader")
        ((headers,),) = warehouse.fetch_all(f"select count(*) from {relation}")
        state = freshness(on_bigquery)

    tables = {t.name: t for t in state.tables}
    assert tables["sales.salesorderheader"].rows == headers > 0
    assert tables["sales.salesorderheader"].synced_at is not None
    assert tables["web events"].rows == 600
