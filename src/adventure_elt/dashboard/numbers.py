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


def parse_number(text: str) -> float:
    """The number in a `money_text` or `count_text` string (for tests reading the page).

    >>> parse_number("$1,234.50")
    1234.5
    """
    return float(text.replace("$", "").replace(",", ""))
