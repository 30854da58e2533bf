"""How the dashboard writes numbers: money with cents, counts with thousands separators."""

from __future__ import annotations

import math


def money_text(value: float | None) -> str:
    """Money as shown on the dashboard, rounded to cents; a missing value is a dash.

    >>> money_text(109846381.4)
    '$109,846,381.40'
    >>> money_text(None)
    '–'
    """
    if value is None or math.isnan(value):
        return "–"
    return f"${value:,.2f}"


def money_short(value: float | None) -> str:
    """Money short enough for a metric card: `$109.85M`, `$22,691`, `$3,491.07`.

    >>> money_short(109846381.4), money_short(22690.6), money_short(3491.07)
    ('$109.85M', '$22,691', '$3,491.07')
    """
    if value is None or math.isnan(value):
        return "–"
    if abs(value) >= 1e9:
        return f"${value / 1e9:,.2f}B"
    if abs(value) >= 1e6:
        return f"${value / 1e6:,.2f}M"
    if abs(value) >= 1e4:
        return f"${value:,.0f}"
    return money_text(value)


def count_text(value: float | None) -> str:
    """A count with thousands separators; a missing value is a dash.

    >>> count_text(31465)
    '31,465'
    """
    if value is None or math.isnan(value):
        return "–"
    return f"{round(value):,}"


def change_text(value: float, before: float) -> str | None:
    """The change from `before` to `value` in percent, signed; None when `before` is 0.

    >>> change_text(112.3, 100), change_text(96, 100), change_text(5, 0)
    ('+12.3%', '-4.0%', None)
    """
    if not before or math.isnan(before) or math.isnan(value):
        return None
    return f"{(value - before) / abs(before):+.1%}"


def age_text(seconds: float) -> str:
    """How long ago, roughly: seconds, minutes, hours, then days.

    >>> age_text(42), age_text(600), age_text(7300), age_text(86400 * 3)
    ('42 s', '10 min', '2 h', '3 days')
    """
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {'day' if unit == 'days' and count == 1 else unit}"
    return f"{max(int(seconds), 0)} s"


def parse_number(text: str) -> float:
    """The number in a `money_text` or `count_text` string (for tests reading the page).

    >>> parse_number("$1,234.50")
    1234.5
    """
    return float(text.replace("$", "").replace(",", ""))
