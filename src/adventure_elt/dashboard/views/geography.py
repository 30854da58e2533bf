"""Question 4 — geography: orders and revenue by ship-to country, then state, then city (click a
bar or pick in the select boxes)."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from adventure_elt.dashboard.charts import COUNT
from adventure_elt.dashboard.data import COUNTRY, column, fetch
from adventure_elt.dashboard.drill import drill_select, revenue_bars
from adventure_elt.dashboard.headline import show_headline
from adventure_elt.dashboard.sidebar import current_filters, current_settings
from adventure_elt.dashboard.tables import show_table
from adventure_elt.semantic.filters import is_in

STATE = "geography.state_province"
CITY = "geography.city"
MEASURES = ["revenue", "orders", "customers"]
TOP_CITIES = 15
TOOLTIP = (("orders", "Orders", COUNT), ("customers", "Customers", COUNT))

settings, filters = current_settings(), current_filters()
st.title("Orders and revenue by country")
st.caption(
    "Where orders ship to. Click a country's bar (or pick below) for its states, and a state's "
    "for its cities."
)
show_headline()

countries = fetch(settings, MEASURES, [COUNTRY], where=filters.where(), order_by=["-revenue"])
if countries.empty:
    st.info("No orders match the filters.")
    st.stop()


st.subheader("Countries")
revenue_bars(
    countries, column(COUNTRY), "Country", TOOLTIP, key="country_bars", target="drill_country"
)

left, right = st.columns(2, gap="large")
with left:
    country = drill_select(
        "Drill down into", countries[column(COUNTRY)].tolist(), key="drill_country"
    )
    in_country = replace(filters, countries=(country,) if country else ()).where()
    states = fetch(settings, MEASURES, [STATE], where=in_country, order_by=["-revenue"])
    st.subheader(f"{country} by state / province")
    revenue_bars(
        states,
        column(STATE),
        "State / province",
        TOOLTIP,
        key="state_bars",
        target="drill_state",
    )
with right:
    state = drill_select("State / province", states[column(STATE)].tolist(), key="drill_state")
    cities = fetch(
        settings,
        MEASURES,
        [CITY],
        where=[*in_country, is_in(STATE, [state])],
        order_by=["-revenue"],
        limit=TOP_CITIES,
    )
    st.subheader(f"Top cities in {state}")
    revenue_bars(cities, column(CITY), "City", TOOLTIP, key="city_bars")

with st.expander("The figures (download as CSV from each table's toolbar)"):
    show_table(countries, {column(COUNTRY): "Country"}, key="country_table")
    show_table(states, {column(STATE): "State / province"}, key="state_table")
    show_table(cities, {column(CITY): "City"}, key="city_table")
