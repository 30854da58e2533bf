"""The BigQuery event sink retries a streaming insert that BigQuery answers "not found", as it
does for a while after a table is created (the emulator never does), through the real Google
client against a canned BigQuery (`tests/canned_bigquery.py`): the retry sends the same rows
with the same insert ids, so BigQuery stores them once.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest

pytest.importorskip("google.cloud.bigquery", reason="the bigquery extra is not installed")

from adventure_elt.errors import WarehouseError
from adventure_elt.settings import Settings
from adventure_elt.stream.bigquery_sink import BigQuerySink
from adventure_elt.stream.generator import EventGenerator, event_lines
from adventure_elt.stream.ingest import IngestOptions, ingest
from canned_bigquery import PROJECT, Canned, canned_bigquery

EVENTS_PATH = (
    f"POST /bigquery/v2/projects/{PROJECT}/datasets/adventure_raw/tables/web_events/insertAll"
)


@pytest.fixture
def canned(monkeypatch: pytest.MonkeyPatch) -> Iterator[Canned]:
    answers = Canned(bytes_per_query=10_485_760, columns=[("event_id", "STRING")])
    with canned_bigquery(monkeypatch, answers):
        yield answers


def test_a_not_found_insert_is_retried_with_the_same_insert_ids(canned: Canned) -> None:
    lines = list(event_lines(EventGenerator(seed=3), count=5))
    event_ids = [json.loads(line)["event_id"] for line in lines]
    canned.inserts_not_found = 1
    sink = BigQuerySink(Settings(warehouse="bigquery", bigquery_project=PROJECT))
    try:
        counts = ingest(iter_bytes(lines), sink, options=IngestOptions(max_wait=60.0))
    finally:
        sink.close()

    assert canned.requests.count(EVENTS_PATH) == 2
    refused, stored = canned.inserts
    assert canned.stored == [stored]
    assert [row["insertId"] for row in refused["rows"]] == event_ids
    assert [row["insertId"] for row in stored["rows"]] == event_ids
    assert [row["json"]["event_id"] for row in stored["rows"]] == event_ids
    assert (counts.read, counts.loaded, counts.batches) == (5, 5, 1)


def test_a_table_still_missing_after_the_deadline_is_one_error(
    canned: Canned, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The retry has an end: a table that never appears fails the batch with one line."""
    import adventure_elt.stream.bigquery_sink as bigquery_sink

    monkeypatch.setattr(bigquery_sink, "INSERT_DEADLINE_SECONDS", 1.5)
    canned.inserts_not_found = 1_000
    lines = list(event_lines(EventGenerator(seed=4), count=2))
    sink = BigQuerySink(Settings(warehouse="bigquery", bigquery_project=PROJECT))
    try:
        with pytest.raises(WarehouseError, match=r"BigQuery refused rows for .*web_events"):
            ingest(iter_bytes(lines), sink, options=IngestOptions(max_wait=60.0))
    finally:
        sink.close()
    assert canned.stored == []
    assert canned.requests.count(EVENTS_PATH) >= 2


def iter_bytes(lines: list[bytes]) -> io.BytesIO:
    return io.BytesIO(b"".join(lines))
