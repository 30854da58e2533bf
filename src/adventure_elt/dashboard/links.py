"""Shareable links: what a link's query string asks for, checked before any of it is used.

The sidebar's widgets are bound to the query string (`?country=Canada&from=2013-07-01`), and
Streamlit silently drops a value a widget cannot take. These functions say which values of a link
are ignored, and why, so the page can tell the reader instead of showing other figures unasked.
Values only ever reach SQL as options the warehouse itself listed, written by `semantic.filters`.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from datetime import date

from adventure_elt.dashboard.periods import day_name

# Query parameters of the shared filters: what every business page understands.
COUNTRY_PARAM = "country"
CATEGORY_PARAM = "category"
FROM_PARAM = "from"
TO_PARAM = "to"
# A value is quoted back to the reader at most this long.
SHOWN_CHARACTERS = 40


def unknown_choices(param: str, given: Sequence[str], known: Sequence[str], what: str) -> list[str]:
    """A note for each value of `param` that is not one of `known` (those are ignored).

    Args:
        param: the query parameter (`country`).
        given: its values in the link.
        known: the values it can take (e.g. the countries orders ship to).
        what: what a value names, for the note (`ship-to country`).

    >>> unknown_choices("country", ["Canada", "Canda"], ["Canada", "France"], "ship-to country")
    ['Ignored `country=Canda` from the link: no ship-to country of that name (Canada?).']
    """
    notes = []
    for value in dict.fromkeys(given):
        if value in known:
            continue
        close = difflib.get_close_matches(value, list(known), n=1)
        hint = f" ({close[0]}?)" if close else ""
        notes.append(f"Ignored {shown(param, value)} from the link: no {what} of that name{hint}.")
    return notes


def bad_day(param: str, given: Sequence[str], first: date, last: date) -> str | None:
    """A note when the link's `param` is not one ISO date within the data's days, else None.

    Args:
        param: the query parameter (`from` or `to`).
        given: its values in the link (one is expected).
        first: the data's first order day.
        last: the data's last order day.

    >>> bad_day("from", ["2013-02-30"], date(2011, 5, 31), date(2014, 6, 30))
    'Ignored `from=2013-02-30` from the link: not a date; write it as YYYY-MM-DD.'
    >>> bad_day("to", ["2013-12-31"], date(2011, 5, 31), date(2014, 6, 30)) is None
    True
    """
    if not given:
        return None
    value = given[-1]
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return f"Ignored {shown(param, value)} from the link: not a date; write it as YYYY-MM-DD."
    if not first <= day <= last:
        return (
            f"Ignored {shown(param, value)} from the link: the orders run from "
            f"{day_name(first)} to {day_name(last)}."
        )
    return None


def shown(param: str, value: str) -> str:
    """`param=value` quoted as inline code (so Markdown in it is not rendered), shortened.

    >>> shown("country", "[x](http://e.vil)")
    '`country=[x](http://e.vil)`'
    >>> shown("to", "`" * 50)
    "`to=''''''''''''''''''''''''''''''''''''''''…`"
    """
    text = f"{param}={value}".replace("`", "'")
    text = " ".join(text.split())  # no line breaks or tabs inside the quote
    if len(text) > len(param) + 1 + SHOWN_CHARACTERS:
        text = text[: len(param) + 1 + SHOWN_CHARACTERS] + "…"
    return f"`{text}`"
