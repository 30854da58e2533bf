"""`stream ingest` / `stream run` into BigQuery (the emulator, through the real Google client):
counts add up, rejected lines keep their reason, and a replay loads nothing new."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from bq_helpers import PROJECT, emulator_environment, unique_prefix

from adventure_elt.settings import Settings
from adventure_elt.stream.bigquery_sink import BigQuerySink
from adventure_elt.stream.generator import EventGenerator, event_lines
from adventure_elt.stream.ingest import IngestCounts, IngestOptions, ingest_source
from adventure_elt.stream.sinks import open_sink
from adventure_elt.stream.tables import EVENTS_LAYOUT, EVENTS_SCHEMA, EVENTS_TABLE, REJECTED_SCHEMA
from adventure_elt.warehouse import BigQueryWarehouse, Layout
from cli_parse import run_cli
from paused_stream import ingest_two_paused_lines

pytestmark = pytest.mark.bigquery

EVENTS = 600
_EVENT = json.loads(next(iter(event_lines(EventGenerator(seed=1), count=1))))
# (line, a phrase its reason must contain)
MALFORMED: list[tuple[bytes, str]] = [
    (b'{"event_id": "cut-short", "timest\n', "not JSON"),
    (json.dumps({**_EVENT, "event_id": "wrong-type", "duration": "12"}).encode() + b"\n",
     "duration must be a number"),
    (b"[1, 2, 3]\n", "not a JSON object"),
    (json.dumps({**_EVENT, "event_id": "latin-1", "country": "Cura\u00e7ao"}).encode()
     .replace(b"\\u00e7", b"\xe7") + b"\n", "not UTF-8"),
]  # fmt: skip


@pytest.fixture
def stream_settings(bq_emulator: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A BigQuery warehouse of its own on the emulator (no source database needed), with the
    environment a CLI user would have."""
    prefix = unique_prefix()
    emulator_environment(monkeypatch, bq_emulator, prefix)
    monkeypatch.setenv("ADVENTURE_ELT_HOME", str(tmp_path / "home"))
    return Settings(
        home=tmp_path / "home",
        duckdb_path=tmp_path / "unused.duckdb",
        warehouse="bigquery",
        bigquery_project=PROJECT,
        bigquery_dataset_prefix=prefix,
    )


def generated_file(path: Path) -> tuple[Path, list[str]]:
    """EVENTS generated events with the malformed lines spread among them and one event sent
    twice, far enough apart to land in different micro-batches; (file, event ids)."""
    lines = list(event_lines(EventGenerator(seed=11), count=EVENTS))
    ids = [json.loads(line)["event_id"] for line in lines]
    for position, (bad, _) in zip((0, 150, 300, 450), MALFORMED, strict=True):
        lines.insert(position, bad)
    lines.append(lines[10])  # a resent event: a duplicate, not a second row
    path.write_bytes(b"".join(lines))
    return path, ids


def query(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    with BigQueryWarehouse(settings) as wh:
        relations = {
            "events": wh.relation("raw", "web_events"),
            "rejected": wh.relation("raw", "web_events_rejected"),
        }
        return wh.fetch_all(sql.format(**relations))


def ingest_file(settings: Settings, path: Path, batch_size: int) -> IngestCounts:
    options = IngestOptions(batch_size=batch_size, max_wait=60.0)
    counts = ingest_source(settings, path, options=options)
    assert counts.read == counts.loaded + counts.duplicates + counts.rejected
    return counts


def test_ingest_loads_events_once_and_keeps_rejected_lines_with_reasons(
    stream_settings: Settings, tmp_path: Path
) -> None:
    settings = stream_settings
    path, ids = generated_file(tmp_path / "events.jsonl")

    first = ingest_file(settings, path, batch_size=200)

    assert (first.read, first.loaded, first.duplicates, first.rejected) == (
        EVENTS + len(MALFORMED) + 1,
        EVENTS,
        1,
        len(MALFORMED),
    )
    assert first.batches == 4  # 605 lines by 200: the resent event is in the last batch
    assert query(settings, "select count(*), count(distinct event_id) from {events}") == [
        (EVENTS, EVENTS)
    ]
    assert sorted(r[0] for r in query(settings, "select event_id from {events}")) == sorted(ids)
    rejected = query(
        settings, "select line_number, reason, raw_text, source from {rejected} order by 1"
    )
    assert [r[0] for r in rejected] == [1, 151, 301, 451]
    for (_, reason, text, source), (bad, phrase) in zip(rejected, MALFORMED, strict=True):
        assert phrase in reason
        assert text.rstrip("\n") == bad.decode(errors="replace").rstrip("\n")
        assert source == str(path)
    # the event's fields arrive as sent: timestamps to the microsecond, money to the cent
    sent = json.loads(path.read_bytes().splitlines()[1])
    (stored,) = query(
        settings,
        "select format_timestamp('%Y-%m-%dT%H:%M:%E6S', `timestamp`), order_value, country,"
        f" referrer_url from {{events}} where event_id = '{sent['event_id']}'",
    )
    assert stored[0] == sent["timestamp"][:26]
    assert stored[1:] == (sent["order_value"], sent["country"], sent["referrer_url"])


def test_replaying_a_file_loads_nothing_new(
    stream_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = stream_settings
    path, _ = generated_file(tmp_path / "events.jsonl")
    ingest_file(settings, path, batch_size=250)

    code, out, err = run_cli(
        ["--warehouse", "bigquery", "stream", "ingest", "--from", str(path), "--json",
         "--batch-size", "170"],
        capsys,
    )  # fmt: skip

    assert code == 0, err
    again = json.loads(out)
    assert (again["loaded"], again["duplicates"], again["rejected"]) == (
        0,
        EVENTS + 1,
        len(MALFORMED),
    )
    assert again["read"] == again["loaded"] + again["duplicates"] + again["rejected"]
    assert query(settings, "select count(*), count(distinct event_id) from {events}") == [
        (EVENTS, EVENTS)
    ]
    # every run records its rejected lines: the dead-letter table is a log of what was refused
    assert query(settings, "select count(*) from {rejected}") == [(2 * len(MALFORMED),)]


def test_a_duplicate_in_the_next_batch_is_caught_by_the_ids_just_streamed(
    stream_settings: Settings,
) -> None:
    # The lookup query may not yet see rows streamed an instant ago (real BigQuery); the sink
    # remembers what it streamed, so the count stays exact without it.
    sink = open_sink(stream_settings)
    assert isinstance(sink, BigQuerySink)
    at = datetime.fromisoformat(_EVENT["timestamp"])
    try:
        events = _events(["a", "b", "c"])
        assert sink.write_batch(events, _no_rejected()) == 3
        assert sink.existing_ids(["b", "z"], (at, at)) == {"b"}
        sink._recent.clear()  # forgotten: the query answers alone
        sink._recent_ids.clear()
        assert sink.existing_ids(["a", "c", "y"], (at, at)) == {"a", "c"}
        assert sink.write_batch(_events(["c", "d"]), _no_rejected()) == 1
    finally:
        sink.close()
    assert query(stream_settings, "select event_id from {events} order by 1") == [
        ("a",),
        ("b",),
        ("c",),
        ("d",),
    ]


def test_the_lookup_reads_only_the_batch_s_time_window(stream_settings: Settings) -> None:
    """The duplicate lookup names the batch's first and last event time, so on BigQuery it
    reads the days' partitions of `raw.web_events` it needs (the table is partitioned by event
    day and clustered by event_id); an event stored at its own time is found within it."""
    sink = open_sink(stream_settings)
    assert isinstance(sink, BigQuerySink)
    at = datetime.fromisoformat(_EVENT["timestamp"])
    try:
        sink.write_batch(_events(["a"]), _no_rejected())
        sink._recent.clear()
        sink._recent_ids.clear()
        assert sink.existing_ids(["a"], (at - timedelta(minutes=1), at)) == {"a"}
        assert (
            sink.existing_ids(["a"], (at + timedelta(seconds=1), at + timedelta(hours=1))) == set()
        )
    finally:
        sink.close()
    with BigQueryWarehouse(stream_settings) as wh:
        assert wh.table_layout("raw", EVENTS_TABLE) == EVENTS_LAYOUT
        assert Layout("timestamp", "DAY", ("event_id",)) == EVENTS_LAYOUT


def test_a_bigquery_batch_waits_ten_seconds_by_default(stream_settings: Settings) -> None:
    """Without `--max-wait`, two lines 2 s apart go in one batch (DuckDB writes the first after
    half a second): each batch costs a billed lookup, so BigQuery's sink waits 10 s."""
    first, second = list(event_lines(EventGenerator(seed=5), count=2))
    sink = open_sink(stream_settings)
    try:
        assert sink.max_wait == 10.0
        counts = ingest_two_paused_lines(sink, first, second, patience=2.0)
    finally:
        sink.close()

    assert (counts.batches, counts.loaded) == (1, 2)
    assert query(stream_settings, "select count(*) from {events}") == [(2,)]


def test_stream_run_on_bigquery_exits_0_and_loads_what_it_reports(
    stream_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(
        ["--warehouse", "bigquery", "stream", "run", "--rate", "200", "--duration", "2s",
         "--seed", "3", "--json"],
        capsys,
    )  # fmt: skip

    assert code == 0, err
    counts = json.loads(out)
    assert counts["read"] == counts["loaded"] + counts["duplicates"] + counts["rejected"]
    assert counts["loaded"] == counts["read"] >= 300
    assert query(stream_settings, "select count(*) from {events}") == [(counts["loaded"],)]


def _events(ids: list[str]) -> pa.Table:
    """Checked events with these ids (the fields of one generated event)."""
    event = _EVENT
    stamp = datetime.fromisoformat(event["timestamp"])
    row = {
        **event,
        "timestamp": stamp,
        "duration": float(event["duration"]),
        "order_value": float(event["order_value"]),
        "_ingested_at": stamp,
        "_batch_id": "test-000001",
    }
    return pa.Table.from_pylist([{**row, "event_id": i} for i in ids], schema=EVENTS_SCHEMA)


def _no_rejected() -> pa.Table:
    return REJECTED_SCHEMA.empty_table()


@pytest.mark.postgres
@pytest.mark.e2e
def test_streamed_events_reach_the_web_traffic_report_on_bigquery(
    bigquery_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from adventure_elt.oltp import generator, server
    from adventure_elt.replicate.sync import sync
    from adventure_elt.transform import transform

    settings = bigquery_settings
    with server.connect(settings) as conn:
        generator.seed(conn, scale=0.01, seed=5)
    sync(settings)
    transform(settings)
    # the web models are views: events streamed after the transform show at once
    path, _ = generated_file(tmp_path / "events.jsonl")
    counts = ingest_file(settings, path, batch_size=1_000)

    code, out, err = run_cli(["--warehouse", "bigquery", "report", "--json"], capsys)

    assert code == 0, err
    traffic = json.loads(out)["web_traffic"]
    assert len(traffic) > 1
    assert sum(row["visits"] for row in traffic) == counts.loaded == EVENTS
    assert sum(row["sessions"] for row in traffic) > 10
