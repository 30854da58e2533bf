"""`stream ingest`: bad lines are rejected with a reason and kept, good ones are loaded once,
the counts always add up, and the process keeps going."""

from __future__ import annotations

import doctest
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from adventure_elt.cli import app
from adventure_elt.errors import InputFileError
from adventure_elt.stream.generator import EventGenerator, event_lines
from adventure_elt.stream.ingest import IngestCounts, IngestOptions, ingest, split_lines
from adventure_elt.stream.sink import DuckDBSink
from adventure_elt.stream.validate import (
    MAX_LINE_BYTES,
    RAW_TEXT_CHARS,
    Rejection,
    TimeWindow,
    ValidEvent,
    validate_line,
)
from paused_stream import ingest_two_paused_lines


def good_event(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": "e-1",
        "timestamp": datetime.now(UTC).isoformat(),
        "session_id": "s-1",
        "user_id": "11000",
        "page_url": "https://www.adventure-works.com/",
        "referrer_url": None,
        "ip_address": "81.2.69.160",
        "user_agent": "Mozilla/5.0",
        "device_type": "desktop",
        "duration": 12.5,
        "country": "France",
        "order_value": 0,
    }
    event.update(changes)
    return event


def line(event: dict[str, Any]) -> bytes:
    return json.dumps(event).encode() + b"\n"


def generated(n: int, seed: int = 1) -> bytes:
    return b"".join(event_lines(EventGenerator(seed=seed), count=n))


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def run(path: Path, data: bytes, **options: Any) -> IngestCounts:
    counts = ingest(io.BytesIO(data), DuckDBSink(path), options=IngestOptions(**options))
    assert counts.read == counts.loaded + counts.duplicates + counts.rejected
    return counts


FUTURE = (datetime.now(UTC) + timedelta(days=400)).isoformat()
# (line, a phrase its reason must contain)
CORPUS: list[tuple[bytes, str]] = [
    (line(good_event())[:60] + b"\n", "not JSON"),
    (line(good_event(event_id="e-2", duration="12")), "duration must be a number"),
    (line(good_event(event_id="e-3", order_value=True)), "order_value must be a number"),
    (line(good_event(event_id=4)), "event_id must be a string"),
    (line({k: v for k, v in good_event(event_id="e-5").items() if k != "country"}), "missing"),
    (line(good_event(event_id="e-6", campaign="spring")), "unknown fields: campaign"),
    (
        line(good_event(event_id="e-7", country="Fran\udce7e"))[:-1].replace(b"\\udce7", b"\xe7")
        + b"\n",
        "not UTF-8",
    ),
    (b'{"event_id": "' + b"x" * (10 * 1024 * 1024) + b'"}\n', "line too long"),
    (line(good_event(event_id="e-9", timestamp=FUTURE)), "in the future"),
    (line(good_event(event_id="e-10", timestamp="2001-01-01T00:00:00+00:00")), "old"),
    (line(good_event(event_id="e-11", timestamp="2026-01-01T00:00:00")), "no UTC offset"),
    (line(good_event(event_id="e-12", timestamp="yesterday")), "not ISO-8601"),
    (line(good_event(event_id="e-13", ip_address="999.1.1.1")), "not an IPv4"),
    (line(good_event(event_id="e-14", device_type="fridge")), "device_type must be one of"),
    (line(good_event(event_id="e-15", duration=-1)), "duration must be between"),
    (b"[1, 2, 3]\n", "not a JSON object"),
    (b"   \n", "empty line"),
]


def test_every_malformed_line_is_rejected_with_its_reason_and_the_good_ones_load(
    tmp_path: Path,
) -> None:
    good = [line(good_event(event_id=f"ok-{i}")) for i in range(3)]
    data = good[0] + b"".join(bad for bad, _ in CORPUS[:8]) + good[1]
    data += b"".join(bad for bad, _ in CORPUS[8:]) + good[2].rstrip(b"\n")  # no final newline
    path = tmp_path / "w.duckdb"

    counts = run(path, data)

    assert (counts.read, counts.loaded, counts.rejected) == (len(CORPUS) + 3, 3, len(CORPUS))
    stored = rows(
        path,
        "select line_number, line_bytes, reason, raw_text"
        " from raw.web_events_rejected order by line_number",
    )
    assert len(stored) == len(CORPUS)
    for (number, size, reason, text), (bad, phrase) in zip(stored, CORPUS, strict=True):
        assert phrase in reason, (number, reason)
        assert size == len(bad)
        assert len(text) <= RAW_TEXT_CHARS
    # the numbers point at the lines in the input (good ones are 1, 10 and 20)
    assert [r[0] for r in stored] == [n for n in range(1, 21) if n not in (1, 10, 20)]
    assert rows(path, "select event_id from raw.web_events order by 1") == [
        ("ok-0",),
        ("ok-1",),
        ("ok-2",),
    ]
    non_utf8 = next(r for r in stored if "UTF-8" in r[2])
    assert "Fran\ufffde" in non_utf8[3]


def test_replaying_a_file_loads_nothing_new(tmp_path: Path) -> None:
    data = generated(2_500)
    path = tmp_path / "w.duckdb"
    first = run(path, data, batch_size=1_000)
    again = run(path, data, batch_size=700)
    assert (first.loaded, first.duplicates) == (2_500, 0)
    assert (again.loaded, again.duplicates, again.rejected) == (0, 2_500, 0)
    assert rows(path, "select count(*), count(distinct event_id) from raw.web_events") == [
        (2_500, 2_500)
    ]


def test_a_repeated_line_in_one_batch_counts_as_a_duplicate(tmp_path: Path) -> None:
    one = line(good_event())
    counts = run(tmp_path / "w.duckdb", one * 3 + line(good_event(event_id="e-2")))
    assert (counts.read, counts.loaded, counts.duplicates) == (4, 2, 2)


def test_ingest_command_prints_the_counts_and_a_line_per_batch(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_bytes(generated(300) + b"not json\n")
    result = CliRunner().invoke(
        app,
        [
            "--duckdb-path",
            str(tmp_path / "w.duckdb"),
            "stream",
            "ingest",
            "--from",
            str(events),
            "--batch-size",
            "100",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "read": 301,
        "loaded": 300,
        "duplicates": 0,
        "rejected": 1,
        "batches": 4,
    }
    assert result.stderr.count("stream ingest: batch") == 4
    assert result.stderr.count("\n") == 4  # the closing counts print once, on stdout


def test_ingest_command_names_a_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "--duckdb-path",
            str(tmp_path / "w.duckdb"),
            "stream",
            "ingest",
            "--from",
            str(tmp_path / "nope.jsonl"),
        ],
    )
    assert isinstance(result.exception, InputFileError)
    assert result.exception.exit_code == 2
    assert "nope.jsonl" in str(result.exception)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_are_either_a_valid_event_or_a_reasoned_rejection(data: bytes) -> None:
    checked = validate_line(data, datetime.now(UTC), TimeWindow())
    assert isinstance(checked, Rejection) and checked.reason


@settings(max_examples=60, deadline=None)
@given(
    field=st.sampled_from(
        [
            "event_id",
            "session_id",
            "page_url",
            "user_agent",
            "country",
            "duration",
            "order_value",
            "ip_address",
            "timestamp",
            "device_type",
        ]
    ),
    value=st.one_of(
        st.none(),
        st.booleans(),
        st.lists(st.integers(), max_size=2),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    ),
)
def test_a_field_of_the_wrong_type_is_named_in_the_reason(field: str, value: Any) -> None:
    checked = validate_line(line(good_event(**{field: value})), datetime.now(UTC), TimeWindow())
    assert isinstance(checked, Rejection)
    assert field in checked.reason


def test_a_good_event_is_accepted_with_its_timestamp() -> None:
    moment = datetime(2026, 5, 1, 10, 30, tzinfo=UTC)
    checked = validate_line(
        line(good_event(timestamp="2026-05-01T10:30:00Z")), moment, TimeWindow()
    )
    assert isinstance(checked, ValidEvent)
    assert checked.timestamp_us == int(moment.timestamp()) * 1_000_000


class Trickle(io.RawIOBase):
    """A stream returning its data in the given chunk sizes, like a pipe does."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self.data, self.sizes = data, sizes

    def readable(self) -> bool:
        return True

    def read1(self, n: int = -1) -> bytes:
        size = self.sizes.pop(0) if self.sizes else n
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk

    read = read1  # type: ignore[assignment]


@settings(max_examples=80, deadline=None)
@given(
    lines=st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=20),
    sizes=st.lists(st.integers(1, 50), max_size=60),
    end_newline=st.booleans(),
)
def test_lines_survive_any_chunking_of_the_input(
    lines: list[bytes], sizes: list[int], end_newline: bool
) -> None:
    data = b"\n".join(lines) + (b"\n" if end_newline and lines else b"")
    got = [piece for chunk in split_lines(Trickle(data, sizes), max_line=30) for piece in chunk]
    *whole, last = data.split(b"\n")
    expected = [piece + b"\n" for piece in whole] + ([last] if last else [])
    assert [size for _, size in got] == [len(e) for e in expected]
    assert [p for p, _ in got] == [e[:31] for e in expected]


def test_the_line_limit_is_a_megabyte() -> None:
    assert MAX_LINE_BYTES == 1_048_576


def test_the_examples_in_the_docstrings_run() -> None:
    from adventure_elt.stream import generator, validate

    for module in (validate, generator):
        assert doctest.testmod(module).failed == 0


def test_a_duckdb_batch_waits_half_a_second_by_default(tmp_path: Path) -> None:
    """Without `--max-wait` the first line is written long before a 30 s pause ends (then the
    pause ends at once): DuckDB's wait is the sink's half second."""
    first, second = generated(2).splitlines(keepends=True)
    sink = DuckDBSink(tmp_path / "w.duckdb")
    assert sink.max_wait == 0.5

    counts = ingest_two_paused_lines(sink, first, second, patience=30.0)

    assert (counts.batches, counts.loaded) == (2, 2)


def test_a_batch_waits_as_long_as_its_sink_says(tmp_path: Path) -> None:
    """A sink with a long wait (as BigQuery's) keeps both lines of a 1 s pause in one batch."""
    first, second = generated(2).splitlines(keepends=True)
    sink = DuckDBSink(tmp_path / "w.duckdb")
    sink.max_wait = 3600.0

    counts = ingest_two_paused_lines(sink, first, second, patience=1.0)

    assert (counts.batches, counts.loaded) == (1, 2)
