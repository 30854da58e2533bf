"""The live panel: page views per minute over the chosen window, then the window's sessions by
country and device, re-read every few seconds while a stream runs (`adventure-elt stream run`).
Reads the semantic layer's web views (the live one holds the sessions of the last 25 hours
only, so BigQuery reads the recent partitions), uncached. No sales filter applies here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from adventure_elt.dashboard import data
from adventure_elt.dashboard.charts import COUNT, per_minute, ranked_bars
from adventure_elt.dashboard.data import fetch_live
from adventure_elt.dashboard.headline import card
from adventure_elt.dashboard.live_window import REFRESH, live_window
from adventure_elt.dashboard.numbers import count_text, money_short
from adventure_elt.dashboard.sidebar import current_settings
from adventure_elt.semantic.filters import literal

WINDOWS = {"5 minutes": 5, "15 minutes": 15, "1 hour": 60, "24 hours": 1440}
DEFAULT_WINDOW = "15 minutes"
TOTALS = [
    "live_sessions",
    "live_visits",
    "live_web_orders",
    "live_web_order_value",
    "live_conversion_rate",
]
MINUTE = "web_events.event_minute"

settings = current_settings()
st.title("Live web traffic")
window_name, minutes = live_window(
    "Page views and sessions of the last",
    WINDOWS,
    DEFAULT_WINDOW,
    "Start a stream in another terminal: `adventure-elt stream run --rate 50 --duration 5m`.",
)


def views_per_minute(now: datetime, since: datetime) -> pd.DataFrame:
    """Page views per minute from `since` to `now`, minutes without any as 0."""
    found = fetch_live(settings, ["page_views"], [MINUTE], where=[f"event_at >= {literal(since)}"])
    minute = MINUTE.replace(".", "_")
    index = pd.date_range(
        pd.Timestamp(since).floor("min"), pd.Timestamp(now).floor("min"), freq="min"
    )
    counts = found.set_index(pd.to_datetime(found[minute], utc=True))["page_views"]
    filled = counts.reindex(index, fill_value=0).rename_axis(minute).reset_index()
    return filled


@st.fragment(run_every=REFRESH)
def live_panel() -> None:
    """Page views per minute, then totals, countries and devices of the window, read afresh."""
    now = data.utc_now()
    since = now - timedelta(minutes=minutes)
    started = [f"started_at >= {literal(since)}"]
    st.subheader("Page views per minute")
    st.altair_chart(
        per_minute(
            views_per_minute(now, since),
            minute=MINUTE.replace(".", "_"),
            value="page_views",
            value_title="Page views",
        ),
        width="stretch",
    )
    totals = fetch_live(settings, TOTALS, where=started)
    row = totals.iloc[0] if not totals.empty else None
    if row is None or not row["live_sessions"]:
        st.info(f"No web sessions started in the last {window_name}.")
        st.caption(f"Checked at {now:%H:%M:%S} UTC.")
        return
    cards = st.columns(5)
    card(cards[0], "Sessions", count_text(float(row["live_sessions"])))
    card(cards[1], "Visits", count_text(float(row["live_visits"])))
    card(cards[2], "Web orders", count_text(float(row["live_web_orders"])))
    card(cards[3], "Order value", money_short(float(row["live_web_order_value"])))
    card(cards[4], "Conversion", f"{float(row['live_conversion_rate'] or 0):.1%}")

    countries = fetch_live(
        settings,
        ["live_visits", "live_sessions", "live_web_orders"],
        ["country"],
        where=started,
        limit=15,
        order_by=["-live_visits"],
    )
    devices = fetch_live(settings, ["live_sessions"], ["device_type"], where=started)
    left, right = st.columns([2, 1], gap="large")
    with left:
        st.subheader("Visits by country")
        st.altair_chart(
            ranked_bars(
                countries,
                label="country",
                value="live_visits",
                title="Country",
                value_title="Visits",
                value_format=COUNT,
                extra=(
                    ("live_sessions", "Sessions", COUNT),
                    ("live_web_orders", "Web orders", COUNT),
                ),
            ),
            width="stretch",
        )
    with right:
        st.subheader("Sessions by device")
        st.altair_chart(
            alt.Chart(devices)
            .mark_arc(innerRadius=50)
            .encode(
                theta="live_sessions:Q",
                color=alt.Color("device_type:N", title="Device"),
                tooltip=["device_type:N", alt.Tooltip("live_sessions:Q", format=COUNT)],
            )
            .properties(height=260),
            width="stretch",
        )
    st.caption(f"Updated {now:%H:%M:%S} UTC.")


live_panel()
