"""Question 5 — web traffic: visits against order value, country by country."""

from __future__ import annotations

import streamlit as st

from adventure_elt.dashboard.charts import bubble_scatter
from adventure_elt.dashboard.data import fetch
from adventure_elt.dashboard.headline import show_headline
from adventure_elt.dashboard.numbers import count_text, money_short
from adventure_elt.dashboard.sidebar import current_filters, current_settings

# `country` is the visitor's country for web sessions and the ship-to country for sales: the
# semantic layer resolves the same name from each fact, so the two sides line up.
COUNTRY = "country"
WEB = ["visits", "sessions", "web_orders", "web_order_value", "conversion_rate"]
SALES = ["revenue", "orders"]

settings, filters = current_settings(), current_filters()
st.title("Web visits vs order value by country")
st.caption(
    "Each bubble is a country: web visits across, value of the orders placed on the web up, "
    "size = shop revenue shipped there. Web figures cover every ingested event (only the "
    "country filter applies to them); shop revenue follows every filter."
)
show_headline()

web_only = filters.where(dates=False, categories=False, country=COUNTRY)
web = fetch(settings, WEB, [COUNTRY], where=web_only, order_by=["-visits"])
if web.empty:
    st.info(
        "No web traffic yet. Stream some events, e.g. "
        "`adventure-elt stream run --rate 50 --duration 1m`, and come back."
    )
    st.stop()

sales = fetch(settings, SALES, [COUNTRY], where=filters.where(country=COUNTRY))
both = web.merge(sales, on=COUNTRY, how="left").fillna({"revenue": 0.0, "orders": 0})

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

correlation = both["visits"].corr(both["web_order_value"]) if len(both) > 2 else float("nan")
first, second, third = st.columns(3)
first.metric("Web visits", count_text(float(both["visits"].sum())), border=True)
second.metric("Web order value", money_short(float(both["web_order_value"].sum())), border=True)
third.metric(
    "Visits ↔ order value",
    "–" if correlation != correlation else f"r = {correlation:.2f}",
    help="Pearson correlation across countries.",
    border=True,
)

st.dataframe(
    both.rename(columns={"orders": "shop_orders", "revenue": "shop_revenue"}),
    hide_index=True,
    column_config={
        "web_order_value": st.column_config.NumberColumn("web_order_value", format="dollar"),
        "shop_revenue": st.column_config.NumberColumn("shop_revenue", format="dollar"),
        "conversion_rate": st.column_config.NumberColumn("conversion_rate", format="percent"),
    },
)
