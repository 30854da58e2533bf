"""Durations as people type them on the command line: `90s`, `5m`, `1h30m`, `250ms`, `30`."""

from __future__ import annotations

import re
from datetime import timedelta

from adventure_elt.errors import ConfigError

_UNITS = {
    "ms": timedelta(milliseconds=1),
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
}
_NUMBER = r"\d+(?:\.\d+)?"
# Longer is a typo, and would overflow dates: a cursor or `now` minus it must stay a date.
MAX_DURATION = timedelta(days=36_500)
# `ms` before `m`, or `250ms` would read as 250 minutes followed by garbage.
_PART = re.compile(rf"\s*({_NUMBER})\s*(ms|s|m|h|d)")
_WHOLE = re.compile(rf"(?:\s*{_NUMBER}\s*(?:ms|s|m|h|d))+\s*")


def parse_duration(text: str) -> timedelta:
    """Read a duration: numbers with units ms, s, m, h, d; a bare number means seconds.

    Args:
        text: e.g. `30s`, `5m`, `1h30m`, `1.5h`, `250ms`, or `30` (seconds).

    Returns:
        The duration as a `timedelta`.

    Raises:
        ConfigError: when `text` is not a duration, or one longer than 100 years.

    >>> parse_duration("90s")
    datetime.timedelta(seconds=90)
    >>> parse_duration("5m")
    datetime.timedelta(seconds=300)
    >>> parse_duration("1h30m")
    datetime.timedelta(seconds=5400)
    >>> parse_duration("250ms")
    datetime.timedelta(microseconds=250000)
    >>> parse_duration("30")
    datetime.timedelta(seconds=30)
    >>> parse_duration("36501d")
    Traceback (most recent call last):
    ...
    adventure_elt.errors.ConfigError: duration '36501d' is over 100 years; use e.g. 30s, 5m, 1h
    >>> parse_duration("5x")
    Traceback (most recent call last):
    ...
    adventure_elt.errors.ConfigError: bad duration '5x'; use e.g. 30s, 5m, 1h
    """
    cleaned = text.strip().lower()
    if re.fullmatch(_NUMBER, cleaned):
        cleaned += "s"
    if not cleaned or not _WHOLE.fullmatch(cleaned):
        raise ConfigError(f"bad duration '{text}'; use e.g. 30s, 5m, 1h")
    seconds = sum(
        float(number) * _UNITS[unit].total_seconds() for number, unit in _PART.findall(cleaned)
    )
    if seconds > MAX_DURATION.total_seconds():
        raise ConfigError(f"duration '{text}' is over 100 years; use e.g. 30s, 5m, 1h")
    return timedelta(seconds=seconds)
