"""Question 4 — geography: orders and revenue by ship-to country, then state, then city."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import streamlit as st

from adventure_elt.dashboard.charts import COUNT, ranked_bars
from adventure_elt.dashboard.data import COUNTRY, column, fetch
from adventure_elt.dashboard.headline import show_headline
from adventure_elt.dashboard.sidebar import current_filters, current_settings
from adventure_elt.semantic.filters import is_in

if TYPE_CHECKING:
    import pandas as pd

STATE = "geography.state_province"
CITY = "geography.city"
MEASURES = ["revenue", "orders"]
TOP_CITIES = 15

settings, filters = current_settings(), current_filters()
st.title("Orders and revenue by country")
st.caption("Where orders ship to. Pick a country to see its states, and a state for its cities.")
show_headline()

countries = fetch(settings, MEASURES, [COUNTRY], where=filters.where(), order_by=["-revenue"])
if countries.empty:
    st.info("No orders match the filters.")
    st.stop()


def bars(frame: pd.DataFrame, label: str, title: str) -> None:
    """Revenue bars with orders in the tooltip."""
    st.altair_chart(
        ranked_bars(
            frame,
            label=label,
            value="revenue",
            title=title,
            value_title="Revenue",
            extra=(("orders", "Orders", COUNT),),
        ),
        width="stretch",
    )


st.subheader("Countries")
bars(countries, column(COUNTRY), "Country")

left, right = st.columns(2, gap="large")
with left:
    country = st.selectbox("Drill down into", countries[column(COUNTRY)].tolist(), key="country")
    in_country = replace(filters, countries=(country,)).where()
    states = fetch(settings, MEASURES, [STATE], where=in_country, order_by=["-revenue"])
    st.subheader(f"{country} by state / province")
    bars(states, column(STATE), "State / province")
with right:
    state = st.selectbox("State / province", states[column(STATE)].tolist(), key="state")
    cities = fetch(
        settings,
        MEASURES,
        [CITY],
        where=[*in_country, is_in(STATE, [state])],
        order_by=["-revenue"],
        limit=TOP_CITIES,
    )
    st.subheader(f"Top cities in {state}")
    bars(cities, column(CITY), "City")
