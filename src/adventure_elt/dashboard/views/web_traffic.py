"""Question 5 — web traffic: visits against order value country by country, the funnel from the
home page to a placed order, and conversion by device."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from adventure_elt.dashboard.charts import PERCENT, bubble_scatter, funnel_bars, ranked_bars
from adventure_elt.dashboard.data import fetch
from adventure_elt.dashboard.headline import card, show_headline
from adventure_elt.dashboard.numbers import count_text, money_short
from adventure_elt.dashboard.sidebar import current_filters, current_settings
from adventure_elt.dashboard.tables import show_table

# `country` is the visitor's country for web sessions and the ship-to country for sales: the
# semantic layer resolves the same name from each fact, so the two sides line up.
COUNTRY = "country"
WEB = ["visits", "sessions", "web_orders", "web_order_value", "conversion_rate"]
SALES = ["revenue", "orders"]
# funnel_stage: the deepest page type a session reached
STAGES = ["Home", "Category", "Product", "Cart", "Checkout", "Order placed"]

settings, filters = current_settings(), current_filters()
st.title("Web visits vs order value by country")
st.caption(
    "Each bubble is a country: web visits across, value of the orders placed on the web up, "
    "size = shop revenue shipped there. Web sessions carry a visitor country but no order date "
    "or product, so only the country filter applies on this page."
)
show_headline()

where = filters.where(country=COUNTRY)
web = fetch(settings, WEB, [COUNTRY], where=where, order_by=["-visits"])
if web.empty:
    st.info(
        "No web traffic yet. Stream some events, e.g. "
        "`adventure-elt stream run --rate 50 --duration 1m`, and come back."
    )
    st.stop()

sales = fetch(settings, SALES, [COUNTRY], where=where)
both = web.merge(sales, on=COUNTRY, how="left").fillna({"revenue": 0.0, "orders": 0})

first, second, third, fourth = st.columns(4)
card(first, "Web visits", count_text(float(both["visits"].sum())))
card(second, "Sessions", count_text(float(both["sessions"].sum())))
card(third, "Web order value", money_short(float(both["web_order_value"].sum())))
sessions = float(both["sessions"].sum())
card(
    fourth,
    "Conversion",
    f"{float(both['web_orders'].sum()) / sessions:.1%}" if sessions else "–",
    help="Web orders / sessions.",
)

st.altair_chart(
    bubble_scatter(
        both,
        label=COUNTRY,
        x="visits",
        y="web_order_value",
        size="revenue",
        x_title="Web visits (page views)",
        y_title="Web order value",
        size_title="Shop revenue",
    ),
    width="stretch",
)

stages = fetch(settings, ["sessions"], ["funnel_stage"], where=where)
reached = [
    int(stages.loc[stages["funnel_stage"] >= depth, "sessions"].sum())
    for depth in range(len(STAGES))
]
funnel = pd.DataFrame({"stage": STAGES, "sessions": reached})
funnel["share"] = funnel["sessions"] / max(reached[0], 1)
devices = fetch(
    settings,
    ["sessions", "web_orders", "conversion_rate"],
    ["device_type"],
    where=where,
    order_by=["-conversion_rate"],
)
left, right = st.columns(2, gap="large")
with left:
    st.subheader("Funnel")
    st.caption("Sessions that got at least this far, and their share of all sessions.")
    st.altair_chart(
        funnel_bars(funnel, stage="stage", value="sessions", share="share"), width="stretch"
    )
with right:
    st.subheader("Conversion by device")
    st.caption("Web orders per session, by the visitor's device.")
    st.altair_chart(
        ranked_bars(
            devices,
            label="device_type",
            value="conversion_rate",
            title="Device",
            value_title="Conversion",
            value_format=PERCENT,
            extra=(("sessions", "Sessions", ",.0f"), ("web_orders", "Web orders", ",.0f")),
        ),
        width="stretch",
    )

with st.expander("The figures (download as CSV from each table's toolbar)"):
    show_table(
        both.rename(columns={"orders": "shop_orders", "revenue": "shop_revenue"}),
        {COUNTRY: "Country"},
        key="country_table",
        extra={
            "shop_orders": ("Shop orders", "integer"),
            "shop_revenue": ("Shop revenue", "money"),
        },
    )
    show_table(
        funnel,
        {"stage": "Stage"},
        key="funnel_table",
        extra={"share": ("Of all sessions", "percent")},
    )
    show_table(devices, {"device_type": "Device"}, key="device_table")
