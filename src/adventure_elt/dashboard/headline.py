"""The headline numbers of every business page: revenue, orders, customers, average order value,
each with its change against the previous period of the same length when a period is chosen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from adventure_elt.dashboard.data import Filters, fetch
from adventure_elt.dashboard.numbers import change_text, count_text, money_short, money_text
from adventure_elt.dashboard.periods import Period, day_name
from adventure_elt.dashboard.sidebar import (
    DATES,
    current_filters,
    current_settings,
    current_span,
    shows,
)
from adventure_elt.settings import Settings

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

# measure -> (label, kind); the same measures `report` sums up in its customer_summary.
HEADLINE: dict[str, tuple[str, str]] = {
    "revenue": ("Revenue", "money"),
    "orders": ("Orders", "count"),
    "customers": ("Customers", "count"),
    "avg_order_value": ("Average order value", "money"),
}
# Where the shown values are kept for this session (the AppTest tests read them there).
HEADLINE_KEY = "headline"


@dataclass(frozen=True)
class Comparison:
    """What the headline compares with: the previous period, or why there is none."""

    period: Period | None
    reason: str = ""


def comparison(filters: Filters, span: Period | None) -> Comparison:
    """The period before the chosen one, when the data covers all of it.

    Args:
        filters: the page's filters (their days).
        span: the data's first and last order days.

    >>> from datetime import date
    >>> span = Period(date(2011, 5, 31), date(2014, 6, 30))
    >>> comparison(Filters(start=date(2013, 7, 1)), span).period.name
    'Jul 2012 – Jun 2013'
    >>> comparison(Filters(), span).reason
    'Pick a period to compare it with the one before.'
    """
    if span is None:
        return Comparison(None, "No orders yet.")
    if filters.start is None and filters.end is None:
        return Comparison(None, "Pick a period to compare it with the one before.")
    chosen = Period(filters.start or span.start, filters.end or span.end)
    previous = chosen.previous()
    if previous.start < span.start:
        return Comparison(
            None,
            f"No comparison: the period before ({previous.name}) starts before the orders do "
            f"({day_name(span.start)}).",
        )
    return Comparison(previous)


def show_headline() -> dict[str, float]:
    """Draw the four headline metrics under the sidebar's filters; returns their values.

    With a period chosen, each card shows its change against the period before, named; the
    exact amount, the previous one and the share of the unfiltered figure are in its tooltip.
    """
    settings, filters = current_settings(), current_filters()
    values = headline_values(settings, filters)
    totals = headline_values(settings, Filters()) if filters.active else values
    previous = comparison(filters, current_span())
    before = headline_values(settings, filters.during(previous.period)) if previous.period else {}
    cards = st.columns(len(HEADLINE))
    for card, (measure, (label, kind)) in zip(cards, HEADLINE.items(), strict=True):
        value = values[measure]
        write = money_text if kind == "money" else count_text
        notes = [write(value)]
        delta = description = None
        if previous.period is not None:
            notes.append(f"{previous.period.name}: {write(before[measure])}")
            delta = change_text(value, before[measure])
            description = f"vs {previous.period.length}" if delta else None
        if filters.active and measure != "avg_order_value" and totals[measure]:
            notes.append(f"{value / totals[measure]:.0%} of all")
        card.metric(
            label,
            money_short(value) if kind == "money" else count_text(value),
            delta=delta,
            delta_description=description,
            help=" · ".join(notes),
            border=True,
        )
    if previous.period is not None:
        st.caption(f"Changes against {previous.period.name}, the {previous.period.length}.")
    elif previous.reason and shows(DATES):
        st.caption(previous.reason)
    st.session_state[HEADLINE_KEY] = values
    return values


def card(
    where: DeltaGenerator,
    label: str,
    value: str,
    *,
    note: str | None = None,
    help: str | None = None,
) -> None:
    """A bordered figure card in `where` (a column), with a grey note under the value.

    Args:
        where: the column (or container) to draw it in.
        label: what the figure is.
        value: the figure, written.
        note: a fact beside it (no arrow, no colour: not a change).
        help: the tooltip.
    """
    where.metric(
        label, value, delta=note, delta_color="off", delta_arrow="off", help=help, border=True
    )


def headline_values(settings: Settings, filters: Filters) -> dict[str, float]:
    """Revenue, orders, customers and average order value under `filters`, from the semantic
    layer; NULL (no rows behind a figure) reads as 0, as in `report`."""
    frame = fetch(settings, list(HEADLINE), where=filters.where())
    if frame.empty:
        return dict.fromkeys(HEADLINE, 0.0)
    row = frame.iloc[0]
    return {m: 0.0 if pd.isna(row[m]) else float(row[m]) for m in HEADLINE}
