"""Periods on the data's own timeline: the date presets, the period before, how to name them.

"Last 12 months" means the twelve months up to the data's last order day, not up to today: the
AdventureWorks orders stop in June 2014, and a dashboard opened years later must still show them.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

LAST_12_MONTHS = "Last 12 months"
YEAR_TO_DATE = "Year to date"
PREVIOUS_YEAR = "Previous year"
ALL = "All"
PRESETS: tuple[str, ...] = (LAST_12_MONTHS, YEAR_TO_DATE, PREVIOUS_YEAR, ALL)


@dataclass(frozen=True)
class Period:
    """Days from `start` to `end`, both included.

    >>> Period(date(2013, 7, 1), date(2014, 6, 30)).name
    'Jul 2013 – Jun 2014'
    >>> Period(date(2014, 1, 1), date(2014, 6, 17)).name
    '1 Jan – 17 Jun 2014'
    """

    start: date
    end: date

    @property
    def months(self) -> int | None:
        """How many whole calendar months the period spans, or None when it does not start on
        a first and end on a last day of a month."""
        if self.start.day != 1 or self.end.day != _month_length(self.end):
            return None
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def previous(self) -> Period:
        """The period of the same length just before: as many whole months when it spans whole
        months (so the year before 2013 is 2012, leap day or not), else as many days.

        >>> Period(date(2013, 1, 1), date(2013, 12, 31)).previous()
        Period(start=datetime.date(2012, 1, 1), end=datetime.date(2012, 12, 31))
        >>> Period(date(2014, 1, 1), date(2014, 6, 17)).previous()
        Period(start=datetime.date(2013, 7, 17), end=datetime.date(2013, 12, 31))
        """
        months = self.months
        if months is not None:
            start = _add_months(self.start, -months)
        else:
            start = self.start - timedelta(days=(self.end - self.start).days + 1)
        return Period(start, self.start - timedelta(days=1))

    @property
    def length(self) -> str:
        """The period's length as the previous one of another would be named.

        >>> Period(date(2013, 7, 1), date(2014, 6, 30)).length
        'previous 12 months'
        >>> Period(date(2014, 1, 1), date(2014, 1, 31)).length
        'previous month'
        >>> Period(date(2014, 1, 1), date(2014, 6, 17)).length
        'previous 168 days'
        """
        months = self.months
        if months == 1:
            return "previous month"
        if months is not None:
            return f"previous {months} months"
        days = (self.end - self.start).days + 1
        return "previous day" if days == 1 else f"previous {days} days"

    @property
    def name(self) -> str:
        """Whole months as `Jul 2013 – Jun 2014` (or `Jun 2014`), other spans as days."""
        if self.months is not None:
            first, last = f"{self.start:%b %Y}", f"{self.end:%b %Y}"
            return first if first == last else f"{first} – {last}"
        if self.start == self.end:
            return day_name(self.start)
        first = f"{self.start.day} {self.start:%b}"
        if self.start.year != self.end.year:
            first += f" {self.start.year}"
        return f"{first} – {day_name(self.end)}"


def preset_period(preset: str, first: date, last: date) -> Period:
    """The days a preset means on data that runs from `first` to `last` (its order days).

    Args:
        preset: one of PRESETS.
        first: the data's first order day.
        last: the data's last order day: "now" on the data's own timeline.

    Returns:
        The period, never starting before `first`.

    >>> first, last = date(2011, 5, 31), date(2014, 6, 30)
    >>> preset_period(LAST_12_MONTHS, first, last).name
    'Jul 2013 – Jun 2014'
    >>> preset_period(YEAR_TO_DATE, first, last).name
    'Jan 2014 – Jun 2014'
    >>> preset_period(PREVIOUS_YEAR, first, last).name
    'Jan 2013 – Dec 2013'
    """
    if preset == LAST_12_MONTHS:
        start = _add_months(last, -12) + timedelta(days=1)
        end = last
    elif preset == YEAR_TO_DATE:
        start, end = date(last.year, 1, 1), last
    elif preset == PREVIOUS_YEAR:
        start, end = date(last.year - 1, 1, 1), date(last.year - 1, 12, 31)
    elif preset == ALL:
        start, end = first, last
    else:
        raise ValueError(f"unknown period preset {preset!r}; use one of {', '.join(PRESETS)}")
    return Period(max(start, first), max(min(end, last), first))


def preset_of(start: date, end: date, first: date, last: date) -> str | None:
    """The preset that selects exactly `start`…`end`, or None for a range of one's own.

    >>> preset_of(date(2013, 7, 1), date(2014, 6, 30), date(2011, 5, 31), date(2014, 6, 30))
    'Last 12 months'
    """
    for preset in PRESETS:
        if preset_period(preset, first, last) == Period(start, end):
            return preset
    return None


def month_start(day: date) -> date:
    """The first day of `day`'s month.

    >>> month_start(date(2014, 6, 30))
    datetime.date(2014, 6, 1)
    """
    return day.replace(day=1)


def day_name(day: date) -> str:
    """A day as the dashboard writes it: `30 Jun 2014`.

    >>> day_name(date(2014, 6, 3))
    '3 Jun 2014'
    """
    return f"{day.day} {day:%b %Y}"


def _month_length(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def _add_months(day: date, months: int) -> date:
    """`day` moved by whole months, kept within the month (31 Mar - 1 month = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    shifted = date(year, month + 1, 1)
    return shifted.replace(day=min(day.day, _month_length(shifted)))
