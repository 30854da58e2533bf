"""Question 2 — customer insights: new customers per month, spend per customer and order."""

from __future__ import annotations

import streamlit as st

from adventure_elt.dashboard.data import DATE, MONTH, column, fetch
from adventure_elt.dashboard.headline import card, show_headline
from adventure_elt.dashboard.monthly import show_monthly
from adventure_elt.dashboard.numbers import count_text, money_text
from adventure_elt.dashboard.sidebar import current_filters, current_settings
from adventure_elt.dashboard.tables import show_table

YEAR = f"{DATE}.year"

settings, filters = current_settings(), current_filters()
st.title("New customers per month")
st.caption(
    "A customer is new in the month of their first order; with filters on, the first order "
    "must match them (e.g. a first order shipped to France)."
)
show_headline()

months = fetch(settings, ["new_customers", "revenue"], [MONTH], where=filters.where())
if months.empty:
    st.info("No orders match the filters.")
    st.stop()

spend = fetch(settings, ["avg_spend_per_customer", "avg_order_value"], where=filters.where())
first, second, third = st.columns(3)
card(first, "New customers", count_text(float(months["new_customers"].sum())))
card(
    second,
    "Average spend per customer",
    money_text(float(spend["avg_spend_per_customer"].iloc[0])),
)
busiest = months.loc[months["new_customers"].idxmax()]
card(
    third,
    "Best month",
    f"{busiest[column(MONTH)]:%B %Y}",
    note=f"{count_text(float(busiest['new_customers']))} new",
)

show_monthly(months, value="new_customers", value_title="New customers")

with st.expander("The figures (download as CSV from each table's toolbar)"):
    years = fetch(
        settings,
        ["new_customers", "customers", "revenue", "avg_spend_per_customer"],
        [YEAR],
        where=filters.where(),
    )
    years[column(YEAR)] = years[column(YEAR)].dt.year
    show_table(years, {column(YEAR): "Year"}, key="year_table")
    show_table(months, {column(MONTH): "Month"}, key="month_table")
