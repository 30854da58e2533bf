"""The headline numbers of every business page: revenue, orders, customers, average order value."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from adventure_elt.dashboard.data import Filters, fetch
from adventure_elt.dashboard.numbers import count_text, money_short, money_text
from adventure_elt.dashboard.sidebar import current_filters, current_settings
from adventure_elt.settings import Settings

# measure -> (label, kind); the same measures `report` sums up in its customer_summary.
HEADLINE: dict[str, tuple[str, str]] = {
    "revenue": ("Revenue", "money"),
    "orders": ("Orders", "count"),
    "customers": ("Customers", "count"),
    "avg_order_value": ("Average order value", "money"),
}
# Where the shown values are kept for this session (the AppTest tests read them there).
HEADLINE_KEY = "headline"


def show_headline() -> dict[str, float]:
    """Draw the four headline metrics under the sidebar's filters; returns their values.

    With filters on, each count and sum also says which share of the unfiltered figure it is;
    the exact amount is in each card's tooltip.
    """
    settings, filters = current_settings(), current_filters()
    values = headline_values(settings, filters)
    totals = headline_values(settings, Filters()) if filters.active else values
    cards = st.columns(len(HEADLINE))
    for card, (measure, (label, kind)) in zip(cards, HEADLINE.items(), strict=True):
        value = values[measure]
        share = None
        if filters.active and measure != "avg_order_value" and totals[measure]:
            share = f"{value / totals[measure]:.0%} of all"
        card.metric(
            label,
            money_short(value) if kind == "money" else count_text(value),
            delta=share,
            delta_color="off",
            delta_arrow="off",
            help=money_text(value) if kind == "money" else None,
            border=True,
        )
    st.session_state[HEADLINE_KEY] = values
    return values


def headline_values(settings: Settings, filters: Filters) -> dict[str, float]:
    """Revenue, orders, customers and average order value under `filters`, from the semantic
    layer; NULL (no rows behind a figure) reads as 0, as in `report`."""
    frame = fetch(settings, list(HEADLINE), where=filters.where())
    if frame.empty:
        return dict.fromkeys(HEADLINE, 0.0)
    row = frame.iloc[0]
    return {m: 0.0 if pd.isna(row[m]) else float(row[m]) for m in HEADLINE}
