"""Helpers for the tests of `cdc start`: a stream in a thread, waiting for a commit to land."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adventure_elt.replicate.cdc import parse_lsn
from adventure_elt.replicate.cdc.stream import CdcStream, StreamSummary
from adventure_elt.replicate.reconcile import reconcile
from adventure_elt.settings import Settings
from cdc_helpers import unique_name

# A safety net only (nothing asserts on time): a stream that never applies what a test waits for
# fails the test after this long instead of hanging it.
GIVE_UP_SECONDS = 90.0


def stream_settings(dsn: str, home: Path) -> Settings:
    """Settings for `cdc start` on `dsn` with a DuckDB file in `home`, and slot and publication
    names no other test uses (slots are server-wide)."""
    return Settings(
        source_dsn=dsn,
        duckdb_path=home / "warehouse.duckdb",
        home=home,
        cdc_slot=unique_name("slot"),
        cdc_publication=unique_name("pub"),
    )


@dataclass
class RunningStream:
    """A `CdcStream` running in a thread, and what it reported."""

    stream: CdcStream
    summaries: list[StreamSummary] = field(default_factory=list)
    result: StreamSummary | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def applied(self) -> int:
        """The last position applied so far (0 before the first batch)."""
        last = self.summaries[-1].applied_lsn if self.summaries else None
        return 0 if last is None else parse_lsn(last)

    def wait_for(self, lsn: int) -> None:
        """Wait until the stream applied past `lsn` (or failed)."""
        give_up = time.monotonic() + GIVE_UP_SECONDS
        while self.applied() <= lsn and not self.done.is_set():
            assert time.monotonic() < give_up, "the stream did not apply the change in time"
            time.sleep(0.05)
        if self.error is not None:
            raise self.error


@contextmanager
def running_stream(settings: Settings, **options: Any) -> Iterator[RunningStream]:
    """Run `cdc start` (in-process, in a thread) until the block ends, then stop it."""
    running = RunningStream(CdcStream(settings, max_seconds=0.2, **options))
    running.stream.on_batch = lambda s: running.summaries.append(_copy(s))

    def run() -> None:
        try:
            running.result = running.stream.run()
        except BaseException as exc:  # handed to the test thread
            running.error = exc
        finally:
            running.done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    while not running.stream.streaming.wait(0.05) and not running.done.is_set():
        pass
    try:
        yield running
    finally:
        running.stream.request_stop()
        thread.join(GIVE_UP_SECONDS)
    if running.error is not None:
        raise running.error


def _copy(summary: StreamSummary) -> StreamSummary:
    return StreamSummary(
        summary.initial_copy,
        summary.batches,
        summary.changes,
        {k: v for k, v in summary.tables.items()},
        summary.applied_lsn,
    )


def assert_reconciled(settings: Settings) -> None:
    """Every raw table equals its source table."""
    results = reconcile(settings)
    dirty = [r.describe() for r in results if not r.clean]
    assert not dirty, dirty
