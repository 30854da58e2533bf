"""Question 3 — order status tracking and fulfilment: where orders stand, how long they take
to ship and how many ship after their due date, month by month.

Fulfilment figures are per order (the `orders` view, fct_orders' order, ship and due dates).
"""

from __future__ import annotations

import altair as alt
import streamlit as st

from adventure_elt.dashboard.charts import COUNT, ranked_bars
from adventure_elt.dashboard.data import MONTH, column, fetch
from adventure_elt.dashboard.headline import card, show_headline
from adventure_elt.dashboard.monthly import show_monthly
from adventure_elt.dashboard.numbers import count_text, money_short
from adventure_elt.dashboard.sidebar import current_filters, current_settings
from adventure_elt.dashboard.tables import show_table

STATUS = "order_status.status"
CODE = "order_status.code"
SHIPPING_DAYS = "shipping_days"
FULFILMENT = ["order_count", "shipped_orders", "late_orders", "unshipped_orders"]
TIMING = ["days_to_ship", "max_days_to_ship", "days_ahead_of_due", "on_time_rate"]

settings, filters = current_settings(), current_filters()
st.title("Order status and fulfilment")
st.caption(
    "Where orders stand (in process → shipped, or rejected / cancelled), how many days they take "
    "to ship and how many ship after their due date."
)
show_headline()

where = filters.where()
found = fetch(settings, ["orders", "revenue"], [CODE, STATUS], where=where, order_by=[CODE])
if found.empty:
    st.info("No orders match the filters.")
    st.stop()

# One card per status that has orders; the others are named in one line, not six zero cards.
for slot, row in zip(st.columns(6), found.itertuples(index=False), strict=False):
    card(
        slot,
        getattr(row, column(STATUS)),
        count_text(float(row.orders)),
        note=f"{money_short(row.revenue)} revenue",
    )
every_status = fetch(settings, [], [STATUS])[column(STATUS)].tolist()
empty = [s for s in every_status if s not in set(found[column(STATUS)])]
if empty:
    st.caption(f"No orders {', '.join(s.lower() for s in empty)}.")

totals = fetch(settings, FULFILMENT + TIMING, where=where).iloc[0]
shipped = bool(totals["shipped_orders"])
st.subheader("Fulfilment")
first, second, third, fourth = st.columns(4)
card(
    first,
    "Days from order to ship",
    f"{totals['days_to_ship']:.1f}" if shipped else "–",
    note=f"longest {totals['max_days_to_ship']:.0f}" if shipped else None,
    help="Average over shipped orders, and the longest any order took.",
)
card(
    second,
    "Shipped on time",
    f"{totals['on_time_rate']:.1%}" if shipped else "–",
    note=f"{count_text(float(totals['late_orders']))} late",
    help="Shipped on or before the due date, of all shipped orders; late: after it.",
)
card(
    third,
    "Days to spare before due",
    f"{totals['days_ahead_of_due']:.1f}" if shipped else "–",
    help="Average days between ship date and due date (negative: late).",
)
card(
    fourth,
    "Not shipped yet",
    count_text(float(totals["unshipped_orders"])),
    help="Orders without a ship date (in process, approved, backordered, rejected, cancelled).",
)

months = fetch(settings, FULFILMENT + TIMING, [MONTH], where=where)
left, right = st.columns(2, gap="large")
with left:
    st.subheader("Days from order to ship, by month")
    st.altair_chart(
        alt.Chart(months)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{column(MONTH)}:T", title=None, axis=alt.Axis(format="%b %Y")),
            y=alt.Y("days_to_ship:Q", title="Average days", scale=alt.Scale(zero=True)),
            tooltip=[
                alt.Tooltip(f"{column(MONTH)}:T", title="Month", format="%B %Y"),
                alt.Tooltip("days_to_ship:Q", title="Average days", format=".1f"),
                alt.Tooltip("max_days_to_ship:Q", title="Longest", format=".0f"),
            ],
        )
        .properties(height=300),
        width="stretch",
    )
with right:
    st.subheader("Orders late or not shipped, by month")
    behind = months.melt(
        id_vars=[column(MONTH)],
        value_vars=["late_orders", "unshipped_orders"],
        var_name="kind",
        value_name="count",
    )
    if behind["count"].sum() == 0:
        st.success(
            "Every order in these months shipped, none after its due date.",
            icon=":material/check_circle:",
        )
    else:
        behind["kind"] = behind["kind"].map(
            {"late_orders": "Shipped late", "unshipped_orders": "Not shipped yet"}
        )
        show_monthly(behind, value="count", value_title="Orders", color="kind")

spread = fetch(settings, ["order_count"], [SHIPPING_DAYS], where=where)
spread = spread.dropna(subset=[column(SHIPPING_DAYS)])
spread["days"] = [f"{int(d)} days" for d in spread[column(SHIPPING_DAYS)]]
st.subheader("Orders by days from order to ship")
st.altair_chart(
    ranked_bars(
        spread,
        label="days",
        value="order_count",
        title="Days from order to ship",
        value_title="Orders",
        value_format=COUNT,
    ),
    width="stretch",
)

if len(found) > 1:
    st.subheader("Orders by status, by month")
    by_status = fetch(settings, ["orders"], [MONTH, STATUS], where=where)
    show_monthly(
        by_status,
        value="orders",
        value_title="Orders",
        color=column(STATUS),
        color_title="Status",
    )

with st.expander("The figures (download as CSV from each table's toolbar)"):
    show_table(found, {column(STATUS): "Status"}, key="status_table")
    show_table(months, {column(MONTH): "Month"}, key="fulfilment_table")
