"""The overview (the dashboard's home, at `/`): the headline, revenue month by month, and how
current the figures are."""

from __future__ import annotations

import streamlit as st

from adventure_elt.dashboard.data import MONTH, fetch, fetch_freshness
from adventure_elt.dashboard.headline import show_headline
from adventure_elt.dashboard.monthly import show_monthly
from adventure_elt.dashboard.periods import day_name
from adventure_elt.dashboard.sidebar import current_filters, current_settings, current_span

settings, filters, span = current_settings(), current_filters(), current_span()
st.title("AdventureWorks at a glance")
st.caption(
    "Revenue, orders and customers under the sidebar's filters; pick a period to see the change "
    "against the one before. The pages on the left answer one business question each."
)
show_headline()

months = fetch(settings, ["revenue", "orders"], [MONTH], where=filters.where())
if months.empty:
    st.info("No orders match the filters.")
    st.stop()
st.subheader("Revenue by month")
show_monthly(months, value="revenue", value_title="Revenue", money=True)

state = fetch_freshness(settings)
facts = [f"Orders up to **{day_name(span.end)}**" if span else "No orders yet"]
if state.synced_at:
    facts.append(f"source last synced **{state.synced_at:%d %b %Y %H:%M} UTC**")
if run := state.last_run:
    failed = [s.step for s in run if s.status != "ok"]
    outcome = f"failed at {failed[0]}" if failed else "ok"
    facts.append(f"last pipeline run {run[0].started_at:%d %b %Y %H:%M} UTC, {outcome}")
st.markdown(" · ".join(facts) + ".")
st.page_link("views/freshness.py", label="Data freshness", icon=":material/update:")
