"""The docs site in real headless Chromium, opened from file:// as a user opens it: the index,
a click into a model (its columns, types, check results and lineage graph), a click on a column,
and clicks through the column lineage graph down to a raw column. Nothing is fetched from the
network. The warehouse is the demo one the real pipeline built (its checks ran, so the site
shows their results).

Screenshots go to the test's own folder, or to $DOCS_SCREENSHOTS when set (that is how
docs/docs_site_*.png are made):

    DOCS_SCREENSHOTS=docs .venv/bin/pytest tests/browser/test_docs_browser.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Debian's chromium (or Chrome) and the flags the dashboard's browser test drives it with.
from test_dashboard_browser import CHROMIUM_FLAGS, chromium  # noqa: F401 (a fixture)

from adventure_elt.docs_site import build_docs
from adventure_elt.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

TIMEOUT_MS = 30_000


def test_from_a_model_through_its_column_lineage_down_to_a_raw_column(
    chromium: Path,  # noqa: F811 (the imported fixture)
    demo_warehouse: Settings,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    index, _ = build_docs(demo_warehouse, tmp_path / "site")
    shots = Path(os.environ.get("DOCS_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    requested: list[str] = []
    with sync_playwright() as playwright:
        # a fresh temporary profile, removed on close
        browser = playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_FLAGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(TIMEOUT_MS)
            page.on("request", lambda request: requested.append(request.url))
            page.goto(index.as_uri())
            expect(page.locator("main h1")).to_have_text("adventure_elt")
            # the project graph: one box per table, drawn (not zero-sized)
            graph = page.locator("main svg.graph")
            expect(graph.locator("a.node")).to_have_count(len(list(index.parent.glob("tables/*"))))
            box = graph.bounding_box()
            assert box is not None and box["width"] > 600 and box["height"] > 300

            # into a model from the list of marts
            page.locator("main table a", has_text="fct_sales").first.click()
            expect(page.locator("main h1")).to_contain_text("marts.fct_sales")
            line_total = page.locator("tr#col-line_total")
            expect(line_total.locator("td.type")).to_have_text("DECIMAL(38,9)")
            expect(line_total.locator(".status.pass")).to_have_count(1)  # not_null(line_total)
            lineage = page.locator("#lineage + .graph-box svg")
            expect(lineage.locator('a.node.focus[data-node="marts.fct_sales"]')).to_be_visible()
            expect(
                lineage.locator('[data-node="staging.stg_sales__order_details"]')
            ).to_be_visible()
            expect(lineage.locator('[data-node="reports.rpt_product_sales"]')).to_be_visible()
            page.screenshot(path=str(shots / "docs_site_model.png"))

            # the column, then its lineage graph, node by node, down to the raw column
            line_total.locator("td a").first.click()
            expect(page.locator("main h1")).to_contain_text("marts.fct_sales.line_total")
            page.screenshot(path=str(shots / "docs_site_column.png"))
            page.locator('svg [data-node="staging.stg_sales__order_details.unit_price"]').click()
            expect(page.locator("main h1")).to_contain_text(
                "staging.stg_sales__order_details.unit_price"
            )
            page.locator('svg [data-node="raw.sales_salesorderdetail.unitprice"]').click()
            expect(page.locator("main h1")).to_contain_text("raw.sales_salesorderdetail.unitprice")
            # a raw column reads nothing; the graph shows what is computed from it
            expect(page.locator("#computed-from")).to_have_count(0)
            reader = 'svg [data-node="staging.stg_sales__order_details.unit_price"]'
            expect(page.locator(reader)).to_be_visible()
            page.locator("main dl a", has_text="raw.sales_salesorderdetail").click()
            expect(page.locator("main h1")).to_contain_text("raw.sales_salesorderdetail")
        finally:
            browser.close()
    assert requested and all(url.startswith("file://") for url in requested), requested
