"""`stream generate`: every event meets the contract, seeds repeat, sessions walk the funnel,
and a chosen share of sessions belongs to known customers."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from adventure_elt.cli import app
from adventure_elt.stream.generator import (
    COUNTRY_MIX,
    OVERRUN_SECONDS,
    EventGenerator,
    event_lines,
    funnel_stage,
    synthetic_customers,
)
from adventure_elt.stream.validate import EVENT_FIELDS, TimeWindow, ValidEvent, validate_line

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CUSTOMERS = synthetic_customers(2_000, seed=5).customers


def fixed_clock() -> datetime:
    return NOW


def events(n: int, seed: int = 1, **kwargs: Any) -> list[dict[str, Any]]:
    generator = EventGenerator(seed=seed, customers=CUSTOMERS, clock=fixed_clock, **kwargs)
    return [generator.next_event() for _ in range(n)]


def by_session(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    sessions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        sessions[row["session_id"]].append(row)
    return sessions


def no_sleep(seconds: float) -> None:
    raise AssertionError("--count must not sleep")


def test_every_generated_line_passes_the_ingester_checks() -> None:
    generator = EventGenerator(seed=3, customers=CUSTOMERS)
    lines = [line for line in event_lines(generator, count=3_000, sleep=no_sleep) if line]
    assert len(lines) == 3_000
    now = datetime.now(UTC)
    for line in lines:
        checked = validate_line(line, now, TimeWindow())
        assert isinstance(checked, ValidEvent), checked
        assert list(checked.fields) == list(EVENT_FIELDS)
    assert len({json.loads(line)["event_id"] for line in lines}) == 3_000


def test_the_same_seed_gives_the_same_events_and_another_seed_does_not() -> None:
    assert events(2_000, seed=7) == events(2_000, seed=7)
    assert events(50, seed=7) != events(50, seed=8)


def test_sessions_walk_down_the_funnel_and_a_few_percent_buy() -> None:
    sessions = by_session(events(30_000))
    converted = 0
    for views in sessions.values():
        stages = [funnel_stage(v["page_url"]) for v in views]
        assert stages == sorted(stages), stages
        for view, stage in zip(views, stages, strict=True):
            assert (view["order_value"] > 0) == (stage == 5)
            if stage == 5:
                assert 3 in stages and 4 in stages  # bought through cart and checkout
        assert len({(v["user_id"], v["country"], v["device_type"]) for v in views}) == 1
        # the first page names where the visitor came from, later ones the previous page
        for previous, view in itertools.pairwise(views):
            assert view["referrer_url"] == previous["page_url"]
        converted += any(s == 5 for s in stages)
    assert 0.01 < converted / len(sessions) < 0.10
    assert 1.5 < 30_000 / len(sessions) < 8  # several views per session


def test_devices_and_countries_follow_the_shop_mix() -> None:
    rows = events(20_000, known_share=0.0)
    sessions = by_session(rows)
    countries = [views[0]["country"] for views in sessions.values()]
    assert set(countries) <= set(COUNTRY_MIX)
    us_share = countries.count("United States") / len(countries)
    assert abs(us_share - COUNTRY_MIX["United States"]) < 0.05
    devices = {views[0]["device_type"] for views in sessions.values()}
    assert devices == {"desktop", "mobile", "tablet"}


@settings(max_examples=12, deadline=None)
@given(share=st.floats(min_value=0.0, max_value=1.0), seed=st.integers(0, 2**32))
def test_the_known_customer_share_is_as_asked(share: float, seed: int) -> None:
    known = dict(CUSTOMERS)
    sessions = by_session(events(6_000, seed=seed, known_share=share))
    firsts = [views[0] for views in sessions.values()]
    mine = [v for v in firsts if v["user_id"].isdigit()]
    assert all(int(v["user_id"]) in known for v in mine)
    assert all(known[int(v["user_id"])] == v["country"] for v in mine)
    assert abs(len(mine) / len(firsts) - share) < 0.08
    assert all(v["user_id"].startswith("anon-") for v in firsts if v not in mine)


class FakeTime:
    """A clock that moves only when slept on, or by `per_read` at each reading."""

    def __init__(self, per_read: float = 0.0) -> None:
        self.now, self.per_read, self.waits = 0.0, per_read, list[float]()

    def clock(self) -> float:
        self.now += self.per_read
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def test_a_paced_stream_emits_rate_times_duration_events() -> None:
    time = FakeTime()
    lines = list(
        event_lines(
            EventGenerator(seed=1),
            rate=2_000,
            duration=timedelta(seconds=0.05),
            sleep=time.sleep,
            clock=time.clock,
        )
    )
    assert len([line for line in lines if line]) == 100
    assert all(w > 0 for w in time.waits)


def paced_second(per_event: float) -> tuple[int, float]:
    """A second of 1,000 events a second, each taking `per_event` seconds to make: the events
    made and when it ended."""
    time = FakeTime(per_read=per_event)
    lines = event_lines(
        EventGenerator(seed=1),
        rate=1_000,
        duration=timedelta(seconds=1),
        sleep=time.sleep,
        clock=time.clock,
    )
    return len([line for line in lines if line]), time.now


def test_a_paced_stream_that_falls_behind_still_ends_with_its_duration() -> None:
    """`stream generate --rate 200000 --duration 1s` ran for 5 s: the machine makes fewer."""
    made, ended = paced_second(0.01)  # 100 a second at most
    assert made < 1_000 and ended <= 1 + OVERRUN_SECONDS + 0.02  # not 10 s late


def test_a_paced_stream_a_little_behind_makes_every_event() -> None:
    """Late by less than `OVERRUN_SECONDS` (a loaded machine), nothing is cut."""
    assert paced_second(0.0012)[0] == 1_000  # 833 a second at most


def test_generate_command_writes_json_lines_and_says_where_customer_ids_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # no source running and no warehouse here: the ids are synthetic, and it says so
    monkeypatch.setenv("ADVENTURE_ELT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ADVENTURE_ELT_DUCKDB_PATH", str(tmp_path / "none.duckdb"))
    result = CliRunner().invoke(app, ["stream", "generate", "--count", "25", "--seed", "4"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line]
    assert len(lines) == 25
    assert all(set(json.loads(line)) == set(EVENT_FIELDS) for line in lines)
    assert "synthetic" in result.stderr


@pytest.mark.parametrize(
    ("url", "stage"),
    [
        ("https://www.adventure-works.com/", 0),
        ("https://www.adventure-works.com/category/bikes", 1),
        ("https://www.adventure-works.com/cart", 3),
        ("https://www.adventure-works.com/checkout/complete", 5),
    ],
)
def test_funnel_stage_of_a_page(url: str, stage: int) -> None:
    assert funnel_stage(url) == stage
