"""The sidebar: the filters a page applies (period, ship-to country, product category), bound to
the link's query string so a filtered view can be shared and bookmarked.

`?country=Canada&category=Bikes&from=2013-07-01&to=2014-06-30` opens any business page so
filtered; choosing in the sidebar updates the address. A page shows only the filters it applies.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

import streamlit as st

from adventure_elt.dashboard.data import CATEGORY, COUNTRY, DATE, Filters, column, fetch
from adventure_elt.dashboard.links import (
    CATEGORY_PARAM,
    COUNTRY_PARAM,
    FROM_PARAM,
    TO_PARAM,
    bad_day,
    unknown_choices,
)
from adventure_elt.dashboard.periods import PRESETS, Period, day_name, preset_of, preset_period
from adventure_elt.settings import Settings

FILTERS_KEY = "filters"
SETTINGS_KEY = "settings"
SPAN_KEY = "data_span"
SHOWN_KEY = "shown_filters"
PERIOD_KEY = "period"

# The filters a page can show; each page lists those that apply to its figures.
DATES, COUNTRY_FILTER, CATEGORY_FILTER = "dates", "country", "category"
ALL_FILTERS: frozenset[str] = frozenset({DATES, COUNTRY_FILTER, CATEGORY_FILTER})


def filter_sidebar(settings: Settings, shown: Collection[str] = ALL_FILTERS) -> Filters:
    """Draw the filters `shown` in the sidebar and return what they select (kept in session
    state); filters a page does not show select nothing there.

    Values of the link that a filter cannot take are ignored, each with a note saying so.
    """
    span = data_span(settings)
    st.session_state[SPAN_KEY] = span
    st.session_state[SHOWN_KEY] = frozenset(shown)
    notes: list[str] = []
    start = end = None
    countries: list[str] = []
    categories: list[str] = []
    with st.sidebar:
        if shown:
            st.header("Filters")
        if DATES in shown and span is not None:
            start, end = _period_inputs(span, notes)
        if COUNTRY_FILTER in shown:
            known = _values(settings, "orders", COUNTRY)
            notes += unknown_choices(COUNTRY_PARAM, _given(COUNTRY_PARAM), known, "ship-to country")
            countries = st.multiselect(
                "Ship-to country",
                known,
                key=COUNTRY_PARAM,
                bind="query-params",
                placeholder="All countries",
            )
        if CATEGORY_FILTER in shown:
            known = _values(settings, "revenue", CATEGORY)
            notes += unknown_choices(
                CATEGORY_PARAM, _given(CATEGORY_PARAM), known, "product category"
            )
            categories = st.multiselect(
                "Product category",
                known,
                key=CATEGORY_PARAM,
                bind="query-params",
                placeholder="All categories",
            )
        for note in notes:
            st.warning(note, icon=":material/link_off:")
        st.caption("Every figure comes from the semantic layer; the warehouse is read-only.")
    filters = Filters(
        start=start, end=end, countries=tuple(countries), categories=tuple(categories)
    )
    st.session_state[FILTERS_KEY] = filters
    return filters


def data_span(settings: Settings) -> Period | None:
    """The data's first and last order days (None before any order), from the semantic layer."""
    days = fetch(settings, ["orders"], [f"{DATE}.day"])[column(f"{DATE}.day")].dropna()
    if days.empty:
        return None
    return Period(days.min().date(), days.max().date())


def current_settings() -> Settings:
    """The settings the app was started with (from the environment `dashboard` sets)."""
    settings = st.session_state.get(SETTINGS_KEY)
    return settings if isinstance(settings, Settings) else Settings.load()


def current_filters() -> Filters:
    """The filters the sidebar selected in this run (none before it ran)."""
    filters = st.session_state.get(FILTERS_KEY)
    return filters if isinstance(filters, Filters) else Filters()


def shows(name: str) -> bool:
    """True when this page shows (and applies) the filter `name` (DATES, COUNTRY_FILTER, ...)."""
    return name in st.session_state.get(SHOWN_KEY, ALL_FILTERS)


def current_span() -> Period | None:
    """The data's order days, as the sidebar read them in this run."""
    span = st.session_state.get(SPAN_KEY)
    return span if isinstance(span, Period) else None


def _period_inputs(span: Period, notes: list[str]) -> tuple[date | None, date | None]:
    """Presets above a From and a To day; returns the range, bounds at the data's own ends
    left out (no condition)."""
    for param in (FROM_PARAM, TO_PARAM):
        note = bad_day(param, _given(param), span.start, span.end)
        if note:
            notes.append(note)
    presets = st.container()
    start, end = (
        st.date_input(
            label,
            value=default,
            min_value=span.start,
            max_value=span.end,
            key=param,
            bind="query-params",
        )
        for label, default, param in (("From", span.start, FROM_PARAM), ("To", span.end, TO_PARAM))
    )
    if not isinstance(start, date) or not isinstance(end, date):
        start, end = span.start, span.end  # a day being typed: no filter until it is complete
    if start > end:
        notes.append("From is after To: the two days are swapped.")
        start, end = end, start
    # The preset control shows which preset the days match, if any; it is drawn above the days
    # but decided after them, since a link sets the days.
    st.session_state[PERIOD_KEY] = preset_of(start, end, span.start, span.end)
    presets.segmented_control(
        "Order dates",
        PRESETS,
        key=PERIOD_KEY,
        on_change=_apply_preset,
        args=(span,),
        help=f"Periods end on the data's last order day, {day_name(span.end)}, not today.",
    )
    return (start if start > span.start else None), (end if end < span.end else None)


def _apply_preset(span: Period) -> None:
    """Set From and To to the preset just picked (a click on the picked one keeps it)."""
    preset = st.session_state.get(PERIOD_KEY)
    if preset in PRESETS:
        period = preset_period(preset, span.start, span.end)
        st.session_state[FROM_PARAM] = period.start
        st.session_state[TO_PARAM] = period.end


def _values(settings: Settings, measure: str, dimension: str) -> list[str]:
    """The values of `dimension` that have `measure` (e.g. the countries orders ship to)."""
    return [str(v) for v in fetch(settings, [measure], [dimension])[column(dimension)].dropna()]


def _given(param: str) -> list[str]:
    """The values the link gives for `param` (before any widget has taken them)."""
    return st.query_params.get_all(param)
