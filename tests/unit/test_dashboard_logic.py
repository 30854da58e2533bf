"""The dashboard's pure logic: periods on the data's own timeline, link notes, number texts,
table layouts.

Pure functions, so plain unit tests and the docstrings' examples; the pages that use them are
tested under AppTest (test_dashboard_apptest.py) and in Chromium (tests/browser).
"""

from __future__ import annotations

import doctest
from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("streamlit", reason="the dashboard extra (streamlit) is not installed")

from adventure_elt.dashboard import charts, data, headline, links, numbers, periods
from adventure_elt.dashboard.links import bad_day, shown, unknown_choices
from adventure_elt.dashboard.periods import (
    ALL,
    LAST_12_MONTHS,
    PRESETS,
    PREVIOUS_YEAR,
    YEAR_TO_DATE,
    Period,
    preset_of,
    preset_period,
)
from adventure_elt.dashboard.tables import table_layout
from adventure_elt.semantic import cached_model

FIRST, LAST = date(2011, 5, 31), date(2014, 6, 30)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))


@pytest.mark.parametrize("module", [periods, links, numbers, charts, data, headline])
def test_the_examples_in_the_docstrings_run(module: object) -> None:
    assert doctest.testmod(module).failed == 0  # type: ignore[arg-type]


def test_presets_on_the_real_data_timeline() -> None:
    assert preset_period(LAST_12_MONTHS, FIRST, LAST) == Period(date(2013, 7, 1), LAST)
    assert preset_period(YEAR_TO_DATE, FIRST, LAST) == Period(date(2014, 1, 1), LAST)
    assert preset_period(PREVIOUS_YEAR, FIRST, LAST) == Period(date(2013, 1, 1), date(2013, 12, 31))
    assert preset_period(ALL, FIRST, LAST) == Period(FIRST, LAST)
    # Nothing about today: the data ends in 2014, so do its presets.
    assert all(preset_period(p, FIRST, LAST).end <= LAST for p in PRESETS)


def test_presets_never_leave_the_data() -> None:
    short = Period(date(2014, 3, 15), date(2014, 6, 30))
    assert preset_period(LAST_12_MONTHS, short.start, short.end) == short
    assert preset_period(PREVIOUS_YEAR, short.start, short.end) == Period(short.start, short.start)


@given(start=days, length=st.integers(min_value=0, max_value=800))
def test_the_previous_period_ends_the_day_before_and_is_as_long(start: date, length: int) -> None:
    period = Period(start, start + timedelta(days=length))
    previous = period.previous()
    assert previous.end == period.start - timedelta(days=1)
    if period.months is None:
        assert previous.end - previous.start == period.end - period.start
    else:
        assert previous.months == period.months


@given(last=days)
def test_each_preset_is_recognised_from_its_days(last: date) -> None:
    first = date(1999, 1, 1)
    for preset in PRESETS:
        period = preset_period(preset, first, last)
        found = preset_of(period.start, period.end, first, last)
        # Two presets can select the same days (year to date on 31 December is the year).
        assert found is not None
        assert preset_period(found, first, last) == period


def test_link_notes_quote_what_they_ignore_without_rendering_it() -> None:
    notes = unknown_choices("country", ["Canada", "Atlantis", "Atlantis"], ["Canada"], "country")
    assert notes == ["Ignored `country=Atlantis` from the link: no country of that name."]
    assert bad_day("from", ["2014-07-01"], FIRST, LAST) == (
        "Ignored `from=2014-07-01` from the link: the orders run from 31 May 2011 to 30 Jun 2014."
    )
    assert bad_day("from", [], FIRST, LAST) is None
    assert shown("x", "a\nb`c" + "z" * 100) == "`x=a b'c" + "z" * 35 + "…`"


def test_numbers_for_deltas_and_ages() -> None:
    assert numbers.change_text(150, 100) == "+50.0%"
    assert numbers.change_text(0, 100) == "-100.0%"
    assert numbers.change_text(100, 0) is None
    assert numbers.age_text(59) == "59 s"
    assert numbers.age_text(86_400) == "1 day"


def test_tables_take_labels_and_formats_from_the_semantic_model() -> None:
    frame = pd.DataFrame(
        {
            "order_date_month": pd.to_datetime(["2014-05-01", "2014-06-01"]),
            "revenue": [1.5, 2.5],
            "orders": [1, 2],
            "conversion_rate": [0.1, 0.2],
            "internal": [0, 0],
            "share": [0.5, 0.5],
        }
    )

    renamed, config = table_layout(
        frame, {"order_date_month": "Month"}, cached_model(), {"share": ("Share", "percent")}
    )

    assert list(renamed.values()) == ["Month", "Revenue", "Orders", "Conversion rate", "Share"]
    assert {label: c["type_config"].get("format") for label, c in config.items()} == {
        "Month": "MMM YYYY",
        "Revenue": "dollar",
        "Orders": "%,d",
        "Conversion rate": "percent",
        "Share": "percent",
    }
