"""The Streamlit entry point: settings, navigation, the page's sidebar filters, then the page.

Run it with `adventure-elt dashboard` (which passes the settings as environment variables), or
`streamlit run src/adventure_elt/dashboard/app.py` with ADVENTURE_ELT_* set.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from adventure_elt.dashboard.sidebar import (
    ALL_FILTERS,
    COUNTRY_FILTER,
    DATES,
    SETTINGS_KEY,
    filter_sidebar,
)
from adventure_elt.errors import AdventureEltError
from adventure_elt.settings import Settings

VIEWS = Path(__file__).resolve().parent / "views"


@dataclass(frozen=True)
class PageSpec:
    """A page: its script in views/, title, icon, section and the sidebar filters it applies.

    Its address is http://host:port/<name>; the overview is also the root, `/`.
    """

    name: str
    title: str
    icon: str
    section: str
    filters: frozenset[str] = ALL_FILTERS


BUSINESS, REAL_TIME, PIPELINE = "Business questions", "Real time", "Pipeline"
PAGES = (
    PageSpec("overview", "Overview", ":material/dashboard:", BUSINESS),
    PageSpec("categories", "Revenue by category", ":material/category:", BUSINESS),
    PageSpec("new_customers", "New customers", ":material/person_add:", BUSINESS),
    # Fulfilment is per order; an order's lines span categories, so no category filter.
    PageSpec(
        "order_status",
        "Order status and fulfilment",
        ":material/local_shipping:",
        BUSINESS,
        frozenset({DATES, COUNTRY_FILTER}),
    ),
    PageSpec("geography", "Geography", ":material/public:", BUSINESS),
    # Web sessions have a visitor country, but no order date or product.
    PageSpec(
        "web_traffic",
        "Web traffic vs orders",
        ":material/ads_click:",
        BUSINESS,
        frozenset({COUNTRY_FILTER}),
    ),
    PageSpec("live", "Live web traffic", ":material/sensors:", REAL_TIME, frozenset()),
    PageSpec("live_orders", "Live orders", ":material/receipt_long:", REAL_TIME, frozenset()),
    PageSpec("freshness", "Data freshness", ":material/update:", PIPELINE, frozenset()),
)

st.set_page_config(page_title="AdventureWorks dashboard", page_icon="🚲", layout="wide")

sections: dict[str, list[st.Page]] = {}
for spec in PAGES:
    sections.setdefault(spec.section, []).append(
        st.Page(
            VIEWS / f"{spec.name}.py",
            title=spec.title,
            icon=spec.icon,
            url_path=spec.name,
            default=spec is PAGES[0],
        )
    )
page = st.navigation(sections)
# The default page's url_path is "" (it lives at `/`).
current = page.url_path or PAGES[0].name
shown = next((s.filters for s in PAGES if s.name == current), ALL_FILTERS)

try:
    settings = Settings.load()
    st.session_state[SETTINGS_KEY] = settings
    filter_sidebar(settings, shown)
    page.run()
except AdventureEltError as exc:
    # A warehouse not built yet or a model that does not load: say what to do, in one line.
    st.error(str(exc), icon=":material/error:")
