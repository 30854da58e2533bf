"""The sidebar: filters (order dates, country, category) every business page applies."""

from __future__ import annotations

from datetime import date

import streamlit as st

from adventure_elt.dashboard.data import CATEGORY, COUNTRY, DATE, Filters, column, fetch
from adventure_elt.settings import Settings

FILTERS_KEY = "filters"
SETTINGS_KEY = "settings"


def filter_sidebar(settings: Settings) -> Filters:
    """Draw the filters in the sidebar and return what they select (kept in session state)."""
    countries = fetch(settings, ["orders"], [COUNTRY])[column(COUNTRY)].dropna().tolist()
    categories = fetch(settings, ["revenue"], [CATEGORY])[column(CATEGORY)].dropna().tolist()
    days = fetch(settings, ["orders"], [f"{DATE}.day"])[column(f"{DATE}.day")]
    with st.sidebar:
        st.header("Filters")
        start, end = None, None
        if not days.empty:
            first, last = days.min().date(), days.max().date()
            picked = st.date_input(
                "Order dates",
                value=(first, last),
                min_value=first,
                max_value=last,
                key="dates",
                help="Orders placed on these days (both included).",
            )
            start, end = _range(picked, first, last)
        chosen_countries = st.multiselect(
            "Ship-to country", countries, key="countries", placeholder="All countries"
        )
        chosen_categories = st.multiselect(
            "Product category", categories, key="categories", placeholder="All categories"
        )
        st.caption("Every figure comes from the semantic layer; the warehouse is read-only.")
    filters = Filters(
        start=start,
        end=end,
        countries=tuple(chosen_countries),
        categories=tuple(chosen_categories),
    )
    st.session_state[FILTERS_KEY] = filters
    return filters


def current_settings() -> Settings:
    """The settings the app was started with (from the environment `dashboard` sets)."""
    settings = st.session_state.get(SETTINGS_KEY)
    return settings if isinstance(settings, Settings) else Settings.load()


def current_filters() -> Filters:
    """The filters the sidebar selected in this run (none before it ran)."""
    filters = st.session_state.get(FILTERS_KEY)
    return filters if isinstance(filters, Filters) else Filters()


def _range(picked: object, first: date, last: date) -> tuple[date | None, date | None]:
    """The chosen range, with bounds that equal the data's own left out (no condition)."""
    days = [d for d in picked if isinstance(d, date)] if isinstance(picked, tuple) else []
    if isinstance(picked, date):
        days = [picked]
    if not days:
        return None, None
    # While a user is picking, the range has one day only: until they pick the second, filter
    # from that day on.
    start = days[0]
    end = days[1] if len(days) > 1 else last
    return (start if start > first else None), (end if end < last else None)
