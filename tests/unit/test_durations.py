from __future__ import annotations

import doctest
from datetime import timedelta

import pytest

from adventure_elt import durations
from adventure_elt.durations import parse_duration
from adventure_elt.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("5m", timedelta(minutes=5)),
        ("1h", timedelta(hours=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ("250ms", timedelta(milliseconds=250)),
        ("1m500ms", timedelta(minutes=1, milliseconds=500)),
        ("1.5h", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("30", timedelta(seconds=30)),
        ("0.5", timedelta(milliseconds=500)),
        (" 10S ", timedelta(seconds=10)),
        ("0s", timedelta(0)),
    ],
)
def test_parse_duration_reads_what_people_type(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["5x", "", "  ", "m", "1h30", "-5m", "5 minutes", "1e3s", "1..5s"])
def test_bad_duration_says_how_to_write_one(text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_duration(text)
    assert str(caught.value) == f"bad duration '{text}'; use e.g. 30s, 5m, 1h"


def test_docstring_examples_run() -> None:
    result = doctest.testmod(durations)
    assert result.attempted > 0 and result.failed == 0
