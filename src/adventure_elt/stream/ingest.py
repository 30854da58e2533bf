"""Streaming ingest: JSON lines in, checked micro-batches out, nothing dropped silently.

Every line read ends up in exactly one of three places, so `read = loaded + duplicates +
rejected` always holds: `raw.web_events` (new, valid events), the duplicate count (an event id
already stored or already in the batch: replaying a file is harmless), or
`raw.web_events_rejected` (with the reason and the line's text). A batch is written when it is
full (`batch_size`) or when its oldest line has waited `max_wait`; SIGINT and SIGTERM write the
open batch before the process ends. A batch reported through `progress` is stored.

Stopping: the input is read from its file descriptor by a thread that waits for data at most
`_IDLE_POLL` seconds at a time, so a stop ends it promptly and it is joined before `ingest`
returns. (Reading `sys.stdin.buffer` instead left a thread blocked inside the buffered reader,
holding its lock; at interpreter shutdown Python then aborted with "_enter_buffered_busy …
daemon threads", exit 134, after the summary had been printed.)
"""

from __future__ import annotations

import contextlib
import os
import queue
import selectors
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import pyarrow as pa

from adventure_elt import signals
from adventure_elt.errors import InputFileError, WarehouseError
from adventure_elt.progress import ProgressCallback, ProgressEvent
from adventure_elt.settings import Settings
from adventure_elt.stream.sink import EventSink
from adventure_elt.stream.sinks import open_sink
from adventure_elt.stream.tables import EVENT_COLUMNS, EVENTS_SCHEMA, REJECTED_SCHEMA
from adventure_elt.stream.validate import (
    EVENT_FIELDS,
    MAX_LINE_BYTES,
    Rejection,
    TimeWindow,
    validate_line,
)

TASK = "stream ingest"
_READ_CHUNK = 1 << 16
_QUEUE_CHUNKS = 256  # back-pressure: the reader waits when this many chunks are not handled
_IDLE_POLL = 0.2  # seconds between stop checks while no input arrives
_BUSY_POLL = 0.005
# After a stop, how long to wait for a reader without a file descriptor (it may be blocked in a
# read it cannot leave) before the lines it already handed over are stored without it.
_STOP_GRACE = 1.0


@dataclass(frozen=True)
class IngestOptions:
    """How the ingester batches and what it accepts.

    Args:
        batch_size: write a batch when it holds this many lines.
        max_wait: write a batch when its first line has waited this long (seconds); None =
            the sink's own interval (`EventSink.max_wait`: 0.5 s on DuckDB, 10 s on BigQuery).
        window: how far from now an event's timestamp may be.
        source: a label for the rejected lines' `source` column (a path or `-`).
    """

    batch_size: int = 50_000
    max_wait: float | None = None
    window: TimeWindow = field(default_factory=TimeWindow)
    source: str = "-"


@dataclass
class IngestCounts:
    """What happened to the lines read; `read == loaded + duplicates + rejected`."""

    read: int = 0
    loaded: int = 0
    duplicates: int = 0
    rejected: int = 0
    batches: int = 0
    stopped_by: str | None = None  # the stop signal that ended the reading early (`SIGTERM`)

    def describe(self) -> str:
        """`read 1,000 loaded 990 duplicates 5 rejected 5`."""
        return (
            f"read {self.read:,} loaded {self.loaded:,} "
            f"duplicates {self.duplicates:,} rejected {self.rejected:,}"
        )

    def as_dict(self) -> dict[str, int]:
        """JSON-ready form: the counts."""
        return {k: v for k, v in self.__dict__.items() if isinstance(v, int)}


@dataclass
class _Batch:
    events: dict[str, tuple[dict[str, Any], int]] = field(default_factory=dict)
    rejected: list[tuple[int, int, str, str]] = field(default_factory=list)
    duplicates: int = 0
    lines: int = 0
    started: float = 0.0


def ingest(
    stream: IO[bytes],
    sink: EventSink,
    *,
    options: IngestOptions | None = None,
    progress: ProgressCallback | None = None,
    stop: threading.Event | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> IngestCounts:
    """Read JSON lines from `stream` until it ends (or a stop), writing micro-batches to `sink`.

    Args:
        stream: a binary stream of JSON lines (stdin, a file, a pipe).
        sink: where batches go.
        options: batch bounds and the timestamp window.
        progress: called after every stored batch (the acknowledgement) and at the end.
        stop: set it (or send SIGINT/SIGTERM, in the main thread) to write the open batch and end.
        clock: the time validation and `_ingested_at` use.

    Returns:
        The counts; WarehouseError (saying how many lines were not stored) if a batch fails.
    """
    options = options or IngestOptions()
    max_wait = sink.max_wait if options.max_wait is None else options.max_wait
    stop = stop or threading.Event()
    chunks: queue.Queue[list[tuple[bytes, int]] | None] = queue.Queue(_QUEUE_CHUNKS)
    done_reading = threading.Event()
    source = _StoppableReader(stream, lambda: stop.is_set() or done_reading.is_set())
    reader = threading.Thread(
        target=_pump, args=(source, chunks), name="stream-reader", daemon=True
    )
    counts = IngestCounts()
    run_id = uuid.uuid4().hex[:12]
    batch = _Batch()
    sequence = 0
    writer = _Writer(sink, counts, progress)

    def flush(batch: _Batch) -> _Batch:
        nonlocal sequence
        if not batch.lines:
            return batch
        sequence += 1
        first = counts.read - batch.lines + 1
        writer.submit(_prepare(batch, sequence, first, run_id, options.source, clock()))
        return _Batch()

    with signals.caught(stop.set) as signalled:
        reader.start()
        try:
            ended = False
            give_up_at: float | None = None
            while not ended:
                timeout = _IDLE_POLL
                if batch.lines:
                    # wake when the batch is due; a due batch waiting for the writer checks
                    # back every few milliseconds rather than spinning
                    remaining = batch.started + max_wait - time.monotonic()
                    timeout = min(timeout, max(_BUSY_POLL, remaining))
                try:
                    chunk = chunks.get(timeout=timeout)
                except queue.Empty:
                    chunk = []
                if chunk is None:
                    ended = True
                    chunk = []
                elif stop.is_set():
                    # The reader stops at its next poll and ends the queue with None; lines it
                    # already took from the input are stored first.
                    give_up_at = give_up_at or time.monotonic() + _STOP_GRACE
                    if time.monotonic() >= give_up_at:
                        chunk = chunk + _drain(chunks)
                        ended = True
                for line, size in chunk:
                    if not batch.lines:
                        batch.started = time.monotonic()
                    counts.read += 1
                    batch.lines += 1
                    _add(batch, line, size, counts.read, clock(), options.window)
                    if batch.lines >= options.batch_size:
                        batch = flush(batch)
                due = batch.lines and time.monotonic() - batch.started >= max_wait
                # A due batch waits while the writer is busy: handing it over would not store it
                # any sooner, and a bigger batch costs the same one transaction (group commit).
                if ended or (due and writer.idle):
                    batch = flush(batch)
        finally:
            done_reading.set()
            _join_reader(reader, chunks)
        writer.close()
    counts.stopped_by = signalled.name
    if progress is not None:
        progress(ProgressEvent(TASK, done=counts.read, message=counts.describe(), finished=True))
    return counts


def ingest_source(
    settings: Settings,
    source: str | Path = "-",
    *,
    options: IngestOptions | None = None,
    progress: ProgressCallback | None = None,
    lock_timeout: float = 60.0,
    stop: threading.Event | None = None,
) -> IngestCounts:
    """`stream ingest`: read a file (or stdin for `-`) into the configured warehouse.

    SIGINT and SIGTERM are caught from the start (while the warehouse is being opened too): the
    open batch is stored and the counts returned.

    Args:
        settings: which warehouse.
        source: a path to a JSON-lines file, or `-` for standard input.
        options: batch bounds and timestamp window (its `source` label is set from `source`).
        progress: called per stored batch and at the end.
        lock_timeout: how long a batch waits for a DuckDB file another process holds.
        stop: set it to store the open batch and end, as a signal does.

    Returns:
        The counts.
    """
    stop = stop or threading.Event()
    label = str(source)
    options = replace(options or IngestOptions(), source=label)
    with signals.caught(stop.set):
        if label == "-":
            handle: IO[bytes] = sys.stdin.buffer
        else:
            path = Path(source)
            try:
                handle = path.open("rb")
            except OSError as exc:
                message = f"cannot read events from {path}: {exc.strerror or exc}"
                raise InputFileError(message) from None
        try:
            sink = open_sink(settings, lock_timeout=lock_timeout)
            try:
                return ingest(handle, sink, options=options, progress=progress, stop=stop)
            finally:
                sink.close()
        finally:
            if handle is not sys.stdin.buffer:
                handle.close()


class _StoppableReader:
    """`read1` on a stream's file descriptor that gives up (returns b"") once `stopped()`.

    It waits for data at most `_IDLE_POLL` seconds at a time and then reads with `os.read`,
    never through the stream's buffer: a thread blocked in a buffered read holds the buffer's
    lock, and Python aborts at exit when it finds that lock taken. Nothing must have been read
    through the stream's buffer before. A stream without a file descriptor (BytesIO) is read
    directly.
    """

    def __init__(self, stream: IO[bytes], stopped: Callable[[], bool]) -> None:
        self.stream = stream
        self.stopped = stopped
        self.fd: int | None = None
        with contextlib.suppress(AttributeError, OSError, ValueError):
            self.fd = stream.fileno()

    def read1(self, size: int) -> bytes:
        if self.fd is None:
            if self.stopped():
                return b""
            read = getattr(self.stream, "read1", self.stream.read)
            data: bytes = read(size)
            return data
        with selectors.DefaultSelector() as selector:
            try:
                selector.register(self.fd, selectors.EVENT_READ)
            except (OSError, ValueError):
                # not pollable (a regular file under some selectors): it never blocks anyway
                return b"" if self.stopped() else os.read(self.fd, size)
            while not self.stopped():
                if selector.select(_IDLE_POLL):
                    return os.read(self.fd, size)
        return b""

    read = read1  # what split_lines falls back on


def _pump(stream: _StoppableReader, chunks: queue.Queue[list[tuple[bytes, int]] | None]) -> None:
    """Reader thread: whatever lines are available, as one chunk; None at the end (or stop)."""
    try:
        for chunk in split_lines(stream):
            chunks.put(chunk)
    finally:
        chunks.put(None)


def _join_reader(
    reader: threading.Thread, chunks: queue.Queue[list[tuple[bytes, int]] | None]
) -> None:
    """Wait for the reader thread to end, emptying the queue so a blocked `put` can finish.

    A reader on a file descriptor ends within `_IDLE_POLL`; one stuck in a read of a stream
    without one is left behind after `_STOP_GRACE` (it is a daemon thread).
    """
    deadline = time.monotonic() + _STOP_GRACE
    while reader.is_alive() and time.monotonic() < deadline:
        _drain(chunks)
        reader.join(_BUSY_POLL)


def split_lines(
    stream: IO[bytes] | _StoppableReader, max_line: int = MAX_LINE_BYTES
) -> Iterator[list[tuple[bytes, int]]]:
    """Lines as (bytes, full size), grouped by what one read returned.

    A line longer than `max_line` is not kept whole: its head (max_line + 1 bytes) stands for
    it, with its real size, so a runaway producer cannot exhaust memory.
    """
    read = getattr(stream, "read1", stream.read)
    carry = b""
    oversized: tuple[bytes, int] | None = None
    while True:
        data = read(_READ_CHUNK)
        if not data:
            break
        lines: list[tuple[bytes, int]] = []
        start = 0
        while (end := data.find(b"\n", start)) >= 0:
            piece = data[start : end + 1]
            start = end + 1
            if oversized is not None:
                lines.append((oversized[0], oversized[1] + len(piece)))
                oversized = None
            elif carry:
                whole = carry + piece
                carry = b""
                lines.append((whole[: max_line + 1], len(whole)))
            else:
                lines.append(
                    (piece[: max_line + 1] if len(piece) > max_line else piece, len(piece))
                )
        rest = data[start:]
        if oversized is not None:
            oversized = (oversized[0], oversized[1] + len(rest))
        elif rest:
            carry += rest
            if len(carry) > max_line:
                oversized = (carry[: max_line + 1], len(carry))
                carry = b""
        if lines:
            yield lines
    if oversized is not None:
        yield [oversized]
    elif carry:
        yield [(carry, len(carry))]


def _drain(chunks: queue.Queue[list[tuple[bytes, int]] | None]) -> list[tuple[bytes, int]]:
    """Lines the reader already took from the input: they are ours to store before ending."""
    lines: list[tuple[bytes, int]] = []
    while True:
        try:
            chunk = chunks.get_nowait()
        except queue.Empty:
            return lines
        if chunk is None:
            return lines
        lines.extend(chunk)


def _add(
    batch: _Batch, line: bytes, size: int, number: int, now: datetime, window: TimeWindow
) -> None:
    checked = validate_line(line, now, window, size)
    if isinstance(checked, Rejection):
        batch.rejected.append((number, checked.line_bytes, checked.reason, checked.raw_text))
        return
    event_id = checked.fields["event_id"]
    if event_id in batch.events:
        batch.duplicates += 1
        return
    batch.events[event_id] = (checked.fields, checked.timestamp_us)


@dataclass(frozen=True)
class _Prepared:
    """A batch as Arrow tables, ready for the sink."""

    events: pa.Table
    rejected: pa.Table
    in_batch_duplicates: int
    first_line: int
    lines: int


def _prepare(
    batch: _Batch, number: int, first_line: int, run_id: str, source: str, now: datetime
) -> _Prepared:
    batch_id = f"{run_id}-{number:06d}"
    return _Prepared(
        events=_events_table(batch, now, batch_id),
        rejected=_rejected_table(batch, now, batch_id, source),
        in_batch_duplicates=batch.duplicates,
        first_line=first_line,
        lines=batch.lines,
    )


class _Writer:
    """Stores prepared batches on its own thread, so checking the next batch overlaps writing
    this one (DuckDB works without the GIL). At most one batch waits: back-pressure."""

    def __init__(
        self, sink: EventSink, counts: IngestCounts, progress: ProgressCallback | None
    ) -> None:
        self.sink = sink
        self.counts = counts
        self.progress = progress
        self.error: WarehouseError | None = None
        self.busy = False
        self.pending: queue.Queue[_Prepared | None] = queue.Queue(1)
        self.thread = threading.Thread(target=self._run, name="stream-writer", daemon=True)
        self.thread.start()

    @property
    def idle(self) -> bool:
        """Nothing queued and nothing being written."""
        return not self.busy and self.pending.empty()

    def submit(self, prepared: _Prepared) -> None:
        """Queue a batch; raises the error of an earlier batch, if one failed."""
        self._raise()
        self.pending.put(prepared)

    def close(self) -> None:
        """Wait until every queued batch is stored (or failed)."""
        self.pending.put(None)
        self.thread.join()
        self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        while (prepared := self.pending.get()) is not None:
            if self.error is not None:
                continue  # after a failure nothing more is stored: the replay point stays valid
            self.busy = True
            try:
                loaded = self.sink.write_batch(prepared.events, prepared.rejected)
                self._acknowledge(prepared, loaded)
            except Exception as exc:
                self.error = WarehouseError(
                    f"{exc} (lines from {prepared.first_line:,} on were not stored; replay from"
                    " there, duplicates are skipped)"
                )
            finally:
                self.busy = False

    def _acknowledge(self, prepared: _Prepared, loaded: int) -> None:
        counts = self.counts
        duplicates = prepared.in_batch_duplicates + prepared.events.num_rows - loaded
        counts.batches += 1
        counts.loaded += loaded
        counts.duplicates += duplicates
        counts.rejected += prepared.rejected.num_rows
        if self.progress is not None:
            stored = counts.loaded + counts.duplicates + counts.rejected
            self.progress(
                ProgressEvent(
                    TASK,
                    done=stored,
                    message=(
                        f"batch {counts.batches}: {loaded:,} loaded, {duplicates:,} duplicates,"
                        f" {prepared.rejected.num_rows:,} rejected (lines"
                        f" {prepared.first_line:,}–{prepared.first_line + prepared.lines - 1:,};"
                        f" {stored:,} lines stored in all)"
                    ),
                )
            )


def _events_table(batch: _Batch, now: datetime, batch_id: str) -> pa.Table:
    rows = list(batch.events.values())
    columns: dict[str, pa.Array] = {}
    for name in EVENT_FIELDS:
        arrow_type = EVENT_COLUMNS[name]
        if name == "timestamp":
            columns[name] = pa.array([ts for _, ts in rows], pa.int64()).cast(arrow_type)
        else:
            columns[name] = pa.array([fields[name] for fields, _ in rows], arrow_type)
    n = len(rows)
    columns["_ingested_at"] = pa.array([now] * n, EVENT_COLUMNS["_ingested_at"])
    columns["_batch_id"] = pa.array([batch_id] * n, pa.string())
    return pa.table(columns, schema=EVENTS_SCHEMA)


def _rejected_table(batch: _Batch, now: datetime, batch_id: str, source: str) -> pa.Table:
    n = len(batch.rejected)
    return pa.table(
        {
            "rejected_at": pa.array([now] * n, REJECTED_SCHEMA.field("rejected_at").type),
            "source": pa.array([source] * n, pa.string()),
            "line_number": pa.array([r[0] for r in batch.rejected], pa.int64()),
            "line_bytes": pa.array([r[1] for r in batch.rejected], pa.int64()),
            "reason": pa.array([r[2] for r in batch.rejected], pa.string()),
            "raw_text": pa.array([r[3] for r in batch.rejected], pa.string()),
            "_batch_id": pa.array([batch_id] * n, pa.string()),
        },
        schema=REJECTED_SCHEMA,
    )


def run_stream(
    settings: Settings,
    *,
    rate: float,
    duration: timedelta,
    seed: int | None = None,
    options: IngestOptions | None = None,
    progress: ProgressCallback | None = None,
    stop: threading.Event | None = None,
) -> IngestCounts:
    """`stream run`: generate events at `rate` for `duration` and ingest them, in one process.

    The generator writes into a pipe the ingester reads, exactly as `generate | ingest` would.
    SIGINT and SIGTERM are caught from the start: what was generated is stored and the counts
    are returned.

    Returns:
        The ingester's counts.
    """
    from adventure_elt.stream.generator import event_lines, generator_for, write_events

    stop = stop or threading.Event()
    with signals.caught(stop.set) as signalled:
        generator, note = generator_for(settings, seed)
        if progress is not None:
            progress(ProgressEvent(TASK, message=f"customer ids: {note}"))
        read_fd, write_fd = os.pipe()

        def pause(seconds: float) -> None:
            stop.wait(seconds)  # pacing wakes at once on a stop

        def produce() -> None:
            # the pipe's reader went away (also while the last lines are flushed): stop quietly
            with contextlib.suppress(BrokenPipeError), os.fdopen(write_fd, "wb") as out:
                lines = event_lines(
                    generator, rate=rate, duration=duration, sleep=pause, should_stop=stop.is_set
                )
                write_events(lines, out)

        producer = threading.Thread(target=produce, name="stream-generator", daemon=True)
        options = replace(options or IngestOptions(), source="stream run")
        try:
            sink = open_sink(settings)
        except BaseException:
            os.close(read_fd)
            os.close(write_fd)
            raise
        producer.start()
        try:
            with os.fdopen(read_fd, "rb") as events:
                counts = ingest(events, sink, options=options, progress=progress, stop=stop)
        finally:
            stop.set()
            sink.close()
            producer.join()
    counts.stopped_by = counts.stopped_by or signalled.name
    return counts
