"""The BigQuery event sink: streaming inserts with the event id as insert id, and an exact
de-duplication against the events already stored.

Why streaming inserts (`tabledata.insertAll`) and not load jobs: a micro-batch every half second
would exhaust the 1,500 load jobs a table may take per day within the first quarter of an hour,
and DML (`MERGE` from a staging table) queues behind itself and bills a scan per statement.
Streamed rows are readable by queries within seconds, from the streaming buffer.

Why a lookup as well as insert ids: BigQuery drops a repeated insert id only on a best-effort
basis and for about a minute, which makes a retried request harmless but not a replay an hour
later. So before each batch the sink asks which of its event ids are stored already, with one
query (`event_id in unnest(?)`), and streams only the others; the counts come from that answer
and stay exact. Ids the sink streamed in the last minutes are also remembered, so a duplicate in
the next batch is caught even if the query does not see rows streamed an instant before.

What the lookup costs: `raw.web_events` is partitioned by the event's day and clustered by
`event_id` (`tables.py`), and the lookup names the batch's time window as constant timestamps,
so BigQuery reads only the `event_id` blocks of the days the batch covers
(https://cloud.google.com/bigquery/docs/querying-partitioned-tables#use_a_constant_filter_expression).
A replayed event carries its first timestamp, so the window finds it; an id re-sent with
another time is a different event to this lookup (the staging model's `unique` check reports
it). Each lookup still bills BigQuery's 10 MB minimum, so the sink writes a batch every
`MAX_WAIT_SECONDS` (not DuckDB's half second) unless `--max-wait` says otherwise.

Two ingesters replaying the same file at the same moment may both find an id missing; the insert
id then keeps the table clean (best effort) but both report the event as loaded.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from adventure_elt.errors import WarehouseError, first_line
from adventure_elt.settings import Settings
from adventure_elt.stream.sink import EventSink
from adventure_elt.stream.tables import EVENTS_TABLE, REJECTED_TABLE, ensure_event_tables
from adventure_elt.warehouse import BigQueryWarehouse
from adventure_elt.warehouse.base import RAW_LAYER

# insertAll takes at most 10 MB and 50,000 rows per request; stay well inside both.
MAX_REQUEST_ROWS = 10_000
MAX_REQUEST_BYTES = 8_000_000
# A query request is limited to 10 MB too; an id is ~36 characters, ~60 bytes as a parameter.
MAX_LOOKUP_IDS = 50_000
# How long streamed ids are remembered, and how many at most (memory stays bounded).
RECENT_SECONDS = 120.0
RECENT_MAX_IDS = 1_000_000
# How long one insert request is retried (transient errors, and the "table not found" BigQuery
# answers for a short while after a table is created): retries are safe with insert ids.
INSERT_DEADLINE_SECONDS = 120.0
# A batch every 10 s: 360 lookups an hour at 10 MB billed at least (3.6 GB/h), instead of
# 7,200 (72 GB/h) at the half second that suits DuckDB; rows are visible 10 s later at most.
MAX_WAIT_SECONDS = 10.0


class BigQuerySink(EventSink):
    """Streams micro-batches into `<prefix>_raw.web_events` and `<prefix>_raw.web_events_rejected`.

    Args:
        settings: the BigQuery project, location, dataset prefix and credentials.
        clock: monotonic seconds, for forgetting the ids streamed `RECENT_SECONDS` ago.
    """

    max_wait = MAX_WAIT_SECONDS

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> None:
        from google.api_core import exceptions as api_errors
        from google.api_core import retry as retries

        self._retry = retries.Retry(
            predicate=retries.if_exception_type(
                api_errors.NotFound,
                api_errors.TooManyRequests,
                api_errors.InternalServerError,
                api_errors.BadGateway,
                api_errors.ServiceUnavailable,
                api_errors.GatewayTimeout,
                OSError,  # the transport's connection errors and timeouts
            ),
            timeout=INSERT_DEADLINE_SECONDS,
        )
        self.warehouse = BigQueryWarehouse(settings)
        self.clock = clock
        self._recent: deque[tuple[float, tuple[str, ...]]] = deque()
        self._recent_ids: set[str] = set()
        try:
            ensure_event_tables(self.warehouse)
        except Exception as exc:
            self.warehouse.close()
            raise WarehouseError(
                f"cannot create the web event tables in {self.warehouse.dataset(RAW_LAYER)}: "
                f"{first_line(exc)}"
            ) from None

    def existing_ids(self, event_ids: list[str], window: tuple[datetime, datetime]) -> set[str]:
        """Which of `event_ids`, whose timestamps lie within `window` (first, last), are stored
        already (or were streamed moments ago)."""
        from google.api_core import exceptions as api_errors

        self._forget_old()
        found = self._recent_ids.intersection(event_ids)
        ask = [i for i in event_ids if i not in found]
        sql = lookup_sql(self.warehouse.relation(RAW_LAYER, EVENTS_TABLE), *window)
        for chunk in _chunks(ask, MAX_LOOKUP_IDS):
            try:
                rows = self.warehouse.fetch_all(sql, [chunk])
            except api_errors.GoogleAPICallError as exc:
                raise WarehouseError(
                    f"cannot look up stored event ids in BigQuery: {first_line(exc)}"
                ) from None
            found.update(str(row[0]) for row in rows)
        return found

    def write_batch(self, events: pa.Table, rejected: pa.Table) -> int:
        """Stream the events whose id is not stored yet, and every rejected line."""
        event_ids = [str(i) for i in events.column("event_id").to_pylist()]
        stored = self.existing_ids(event_ids, _window(events)) if event_ids else set()
        if stored:
            keep = [event_id not in stored for event_id in event_ids]
            events = events.filter(pa.array(keep))
            event_ids = [event_id for event_id in event_ids if event_id not in stored]
        # Events first: if the rejected lines then fail, a replay finds the events stored and
        # counts them as duplicates, and the dead-letter table gets each line once.
        self._stream(EVENTS_TABLE, _json_rows(events), event_ids)
        self._remember(event_ids)
        if rejected.num_rows:
            keys = zip(
                rejected.column("_batch_id").to_pylist(),
                rejected.column("line_number").to_pylist(),
                strict=True,
            )
            self._stream(REJECTED_TABLE, _json_rows(rejected), [f"{b}:{n}" for b, n in keys])
        return int(events.num_rows)

    def close(self) -> None:
        """Release the client."""
        self.warehouse.close()

    def _stream(self, table: str, rows: list[dict[str, Any]], insert_ids: list[str]) -> None:
        from google.api_core import exceptions as api_errors

        table_id = self.warehouse.table_id(RAW_LAYER, table)
        for start, end in _requests(rows):
            try:
                errors = self.warehouse.stream_rows(
                    RAW_LAYER, table, rows[start:end], insert_ids[start:end], self._retry
                )
            except (api_errors.GoogleAPICallError, api_errors.RetryError) as exc:
                raise WarehouseError(
                    f"BigQuery refused rows for {table_id}: {first_line(exc)}"
                ) from None
            if errors:
                # without skipInvalidRows a bad row fails its whole request: nothing was stored
                first = errors[0].get("errors", [{}])[0]
                raise WarehouseError(
                    f"BigQuery refused {len(errors):,} rows for {table_id}: "
                    f"{first.get('reason', '?')}: {first.get('message', '')}"
                )

    def _remember(self, event_ids: Sequence[str]) -> None:
        # only new ids are streamed, so no id is in two remembered batches
        if event_ids:
            self._recent.append((self.clock(), tuple(event_ids)))
            self._recent_ids.update(event_ids)
        self._forget_old()

    def _forget_old(self) -> None:
        horizon = self.clock() - RECENT_SECONDS
        while self._recent and (
            self._recent[0][0] < horizon or len(self._recent_ids) > RECENT_MAX_IDS
        ):
            _, ids = self._recent.popleft()
            self._recent_ids.difference_update(ids)


def lookup_sql(relation: str, first: datetime, last: datetime) -> str:
    """The duplicate lookup of a batch whose events lie between `first` and `last`; the ids
    are its one parameter. The bounds are written as constants: what partition pruning needs.

    >>> from datetime import UTC
    >>> print(lookup_sql("`p.d.web_events`", datetime(2024, 5, 1, 9, 30, tzinfo=UTC),
    ...                  datetime(2024, 5, 1, 9, 31, 2, 500, tzinfo=UTC)))
    select distinct event_id from `p.d.web_events` where `timestamp` between timestamp '2024-05-01 09:30:00+00:00' and timestamp '2024-05-01 09:31:02.000500+00:00' and event_id in unnest(?)
    """  # noqa: E501
    bounds = " and ".join(
        f"timestamp '{t.astimezone(UTC).isoformat(sep=' ')}'" for t in (first, last)
    )
    return (
        f"select distinct event_id from {relation}"
        f" where `timestamp` between {bounds} and event_id in unnest(?)"
    )


def _window(events: pa.Table) -> tuple[datetime, datetime]:
    """The first and last event timestamp of a batch (not empty)."""
    import pyarrow.compute as pc

    bounds = pc.min_max(events.column("timestamp"))
    return bounds["min"].as_py(), bounds["max"].as_py()


def _json_rows(table: pa.Table) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: timestamps as ISO-8601 text, the rest as they are."""
    rows: list[dict[str, Any]] = table.to_pylist()
    stamps = [f.name for f in table.schema if pa.types.is_timestamp(f.type)]
    for row in rows:
        for name in stamps:
            value = row[name]
            if isinstance(value, datetime):
                row[name] = value.isoformat()
    return rows


def _requests(rows: list[dict[str, Any]]) -> Iterator[tuple[int, int]]:
    """(start, end) of consecutive slices of `rows` that each fit one insertAll request."""
    start, size = 0, 0
    for index, row in enumerate(rows):
        row_bytes = len(json.dumps(row)) + 64  # + the insert id and the envelope
        if index > start and (
            index - start >= MAX_REQUEST_ROWS or size + row_bytes > MAX_REQUEST_BYTES
        ):
            yield start, index
            start, size = index, 0
        size += row_bytes
    if start < len(rows):
        yield start, len(rows)


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
