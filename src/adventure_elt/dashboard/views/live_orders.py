"""The live orders panel: the orders the source wrote in the chosen window (placed, or moved to
another status) counted by status, then the latest orders whenever written, re-read every few
seconds. Reads the
semantic layer's `orders_live` view, a view over the raw orders: while `adventure-elt cdc start`
runs, an order shows here seconds after its commit, with no `transform` between (the other
pages read the marts, which `transform` rebuilds). Uncached; no sales filter applies here.
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from adventure_elt.dashboard import data
from adventure_elt.dashboard.charts import COUNT, ranked_bars
from adventure_elt.dashboard.data import fetch_live
from adventure_elt.dashboard.headline import card
from adventure_elt.dashboard.live_window import REFRESH, live_window
from adventure_elt.dashboard.numbers import count_text, money_short
from adventure_elt.dashboard.sidebar import current_settings
from adventure_elt.dashboard.tables import show_table
from adventure_elt.semantic.filters import literal

WINDOWS = {"5 minutes": 5, "1 hour": 60, "24 hours": 1440}
DEFAULT_WINDOW = "1 hour"
LATEST = 20
TOTALS = ["live_orders", "live_order_value"]
STATUS = "orders_live.status"
LATEST_COLUMNS = {
    "orders_live_sales_order_id": "Order",
    "orders_live_order_date": "Order date",
    "orders_live_status": "Status",
    "orders_live_channel": "Channel",
    "orders_live_written_at": "Written at (UTC)",
}

settings = current_settings()
st.title("Live orders")
window_name, minutes = live_window(
    "Orders written in the last",
    WINDOWS,
    DEFAULT_WINDOW,
    "Follow the shop in other terminals: `adventure-elt cdc start` and"
    " `adventure-elt oltp activity --duration 5m`.",
)


@st.fragment(run_every=REFRESH)
def orders_panel() -> None:
    """Totals and orders by status of the window, then the latest orders, read afresh."""
    now = data.utc_now()
    written = [f"written_at >= {literal(now - timedelta(minutes=minutes))}"]
    totals = fetch_live(settings, TOTALS, where=written)
    row = totals.iloc[0] if not totals.empty else None
    if row is None or not row["live_orders"]:
        st.info(f"No orders written in the last {window_name}.")
    else:
        cards = st.columns(2)
        card(cards[0], "Orders", count_text(float(row["live_orders"])))
        card(cards[1], "Total due", money_short(float(row["live_order_value"] or 0)))
        st.subheader("Orders by status")
        st.altair_chart(
            ranked_bars(
                fetch_live(settings, ["live_orders"], [STATUS], where=written),
                label=STATUS.replace(".", "_"),
                value="live_orders",
                title="Status",
                value_title="Orders",
                value_format=COUNT,
            ),
            width="stretch",
        )
    st.subheader("Latest orders")
    latest = fetch_live(
        settings,
        ["live_order_value"],
        [f"orders_live.{c.removeprefix('orders_live_')}" for c in LATEST_COLUMNS],
        order_by=["-orders_live.written_at", "-orders_live.sales_order_id"],
        limit=LATEST,
    )
    show_table(latest, LATEST_COLUMNS)
    st.caption(f"Updated {now:%H:%M:%S} UTC.")


orders_panel()
