"""The Streamlit entry point: settings, navigation, sidebar filters, then the chosen page.

Run it with `adventure-elt dashboard` (which passes the settings as environment variables), or
`streamlit run src/adventure_elt/dashboard/app.py` with ADVENTURE_ELT_* set.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from adventure_elt.dashboard.sidebar import SETTINGS_KEY, filter_sidebar
from adventure_elt.errors import AdventureEltError
from adventure_elt.settings import Settings

VIEWS = Path(__file__).resolve().parent / "views"

# One page per business question, then the live panel. `url_path` is the page's address
# (http://host:port/<url_path>); the browser test and the README screenshots use it.
PAGES = {
    "categories": ("Revenue by category", ":material/category:"),
    "new_customers": ("New customers", ":material/person_add:"),
    "order_status": ("Order status", ":material/local_shipping:"),
    "geography": ("Geography", ":material/public:"),
    "web_traffic": ("Web traffic vs orders", ":material/ads_click:"),
    "live": ("Live web traffic", ":material/sensors:"),
}

st.set_page_config(page_title="AdventureWorks dashboard", page_icon="🚲", layout="wide")

page = st.navigation(
    {
        "Business questions": [
            st.Page(VIEWS / f"{name}.py", title=title, icon=icon, url_path=name, default=i == 0)
            for i, (name, (title, icon)) in enumerate(PAGES.items())
            if name != "live"
        ],
        "Real time": [
            st.Page(
                VIEWS / "live.py", title=PAGES["live"][0], icon=PAGES["live"][1], url_path="live"
            )
        ],
    }
)

try:
    settings = Settings.load()
    st.session_state[SETTINGS_KEY] = settings
    filter_sidebar(settings)
    page.run()
except AdventureEltError as exc:
    # A warehouse not built yet or a model that does not load: say what to do, in one line.
    st.error(str(exc), icon=":material/error:")
