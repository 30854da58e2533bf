"""The live panel: web sessions of the last minutes, re-read every few seconds while a stream
runs (`adventure-elt stream run`). Reads the semantic layer's live web traffic view (the
sessions of the last 25 hours only, so BigQuery reads the recent partitions), uncached.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import altair as alt
import streamlit as st

from adventure_elt.dashboard.charts import COUNT, ranked_bars
from adventure_elt.dashboard.data import fetch_live
from adventure_elt.dashboard.numbers import count_text, money_short
from adventure_elt.dashboard.sidebar import current_settings

REFRESH = timedelta(seconds=3)
WINDOWS = {"5 minutes": 5, "15 minutes": 15, "1 hour": 60, "24 hours": 1440}
TOTALS = [
    "live_sessions",
    "live_visits",
    "live_web_orders",
    "live_web_order_value",
    "live_conversion_rate",
]

settings = current_settings()
st.title("Live web traffic")
window_name = st.segmented_control(
    "Sessions started in the last", list(WINDOWS), default="15 minutes", key="live_window"
)
minutes = WINDOWS.get(window_name or "15 minutes", 15)
st.caption(
    f"Refreshes every {REFRESH.seconds} s. Start a stream in another terminal: "
    "`adventure-elt stream run --rate 50 --duration 5m`."
)


@st.fragment(run_every=REFRESH)
def live_panel() -> None:
    """Totals, countries and devices of the sessions started in the window, read afresh."""
    now = datetime.now(UTC)
    since = [f"started_at >= '{(now - timedelta(minutes=minutes)).isoformat()}'"]
    totals = fetch_live(settings, TOTALS, where=since)
    row = totals.iloc[0] if not totals.empty else None
    if row is None or not row["live_sessions"]:
        st.info(f"No web sessions started in the last {minutes} minutes.")
        st.caption(f"Checked at {now:%H:%M:%S} UTC.")
        return
    cards = st.columns(5)
    cards[0].metric("Sessions", count_text(float(row["live_sessions"])), border=True)
    cards[1].metric("Visits", count_text(float(row["live_visits"])), border=True)
    cards[2].metric("Web orders", count_text(float(row["live_web_orders"])), border=True)
    cards[3].metric("Order value", money_short(float(row["live_web_order_value"])), border=True)
    cards[4].metric("Conversion", f"{float(row['live_conversion_rate'] or 0):.1%}", border=True)

    countries = fetch_live(
        settings,
        ["live_visits", "live_sessions", "live_web_orders"],
        ["country"],
        where=since,
        limit=15,
        order_by=["-live_visits"],
    )
    devices = fetch_live(settings, ["live_sessions"], ["device_type"], where=since)
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
                money=False,
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
