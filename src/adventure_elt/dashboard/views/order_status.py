"""Question 3 — order status tracking: orders and value per status, and how it moves by month."""

from __future__ import annotations

import altair as alt
import streamlit as st

from adventure_elt.dashboard.charts import COUNT, MONEY, monthly_bars
from adventure_elt.dashboard.data import DATE, column, fetch
from adventure_elt.dashboard.headline import show_headline
from adventure_elt.dashboard.numbers import count_text, money_short
from adventure_elt.dashboard.sidebar import current_filters, current_settings

STATUS = "order_status.status"
CODE = "order_status.code"
MONTH = f"{DATE}.month"

settings, filters = current_settings(), current_filters()
st.title("Orders by status over time")
st.caption("Where orders stand (in process → shipped, or rejected / cancelled), month by month.")
show_headline()

found = fetch(settings, ["orders", "revenue"], [CODE, STATUS], where=filters.where())
if found.empty:
    st.info("No orders match the filters.")
    st.stop()
# Every status gets a card, those without orders too: "0 cancelled" is an answer.
every_status = fetch(settings, [], [CODE, STATUS], order_by=[CODE])
statuses = every_status.merge(found, on=[column(CODE), column(STATUS)], how="left").fillna(
    {"orders": 0, "revenue": 0.0}
)

by_status = column(STATUS)
order = statuses[by_status].tolist()
# One colour per status on every chart, whichever statuses a chart happens to show: shipped is
# green, rejected red, cancelled grey, the ones still moving warm or blue.
COLOURS = {
    "In process": "#f2a900",
    "Approved": "#4c9be8",
    "Backordered": "#9467bd",
    "Rejected": "#d62728",
    "Shipped": "#2ca02c",
    "Cancelled": "#8c8c8c",
}
palette = alt.Scale(domain=order, range=[COLOURS.get(name, "#17becf") for name in order])
cards = st.columns(len(order))
for card, row in zip(cards, statuses.itertuples(index=False), strict=True):
    card.metric(
        getattr(row, by_status),
        count_text(float(row.orders)),
        delta=money_short(row.revenue),
        delta_color="off",
        delta_arrow="off",
        border=True,
    )

months = fetch(settings, ["orders"], [MONTH, STATUS], where=filters.where())
chart = monthly_bars(
    months,
    month=column(MONTH),
    value="orders",
    value_title="Orders",
    color=by_status,
    color_title="Status",
).encode(color=alt.Color(f"{by_status}:N", title="Status", scale=palette))
st.altair_chart(chart, width="stretch")

share = (
    alt.Chart(statuses)
    .mark_arc(innerRadius=60)
    .encode(
        theta=alt.Theta("revenue:Q"),
        color=alt.Color(f"{by_status}:N", title="Status", scale=palette),
        tooltip=[
            alt.Tooltip(f"{by_status}:N", title="Status"),
            alt.Tooltip("orders:Q", title="Orders", format=COUNT),
            alt.Tooltip("revenue:Q", title="Revenue", format=MONEY),
        ],
    )
    .properties(height=260, title="Revenue by status")
)
left, right = st.columns([1, 2])
left.altair_chart(share, width="stretch")
right.dataframe(
    statuses.drop(columns=[column(CODE)]).rename(columns={by_status: "status"}),
    hide_index=True,
    column_config={"revenue": st.column_config.NumberColumn("revenue", format="dollar")},
)
