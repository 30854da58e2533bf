"""An input that sends one line, pauses, then sends another: how long `ingest` lets a batch wait
before writing it shows in how many batches the two lines take."""

from __future__ import annotations

import io
import threading

from adventure_elt.progress import ProgressEvent
from adventure_elt.stream.ingest import IngestCounts, IngestOptions, ingest
from adventure_elt.stream.sink import EventSink


class PausedStream(io.RawIOBase):
    """`first`, then `second` once `resume` is set or `patience` seconds have passed; then b""."""

    def __init__(self, first: bytes, second: bytes, resume: threading.Event, patience: float):
        self.parts = [first, second]
        self.resume, self.patience = resume, patience

    def readable(self) -> bool:
        return True

    def read1(self, n: int = -1) -> bytes:
        if len(self.parts) == 1:
            self.resume.wait(self.patience)
        return self.parts.pop(0) if self.parts else b""

    read = read1  # type: ignore[assignment]


def ingest_two_paused_lines(
    sink: EventSink, first: bytes, second: bytes, patience: float
) -> IngestCounts:
    """Ingest `first`, a pause of up to `patience` seconds, then `second`, with the sink's own
    wait (no `max_wait` given); the pause ends early once a batch is stored. `batches` is then 2
    if the first line's batch was written within the pause, else 1."""
    stored = threading.Event()

    def progress(event: ProgressEvent) -> None:
        if not event.finished:
            stored.set()

    stream = PausedStream(first, second, stored, patience)
    return ingest(stream, sink, options=IngestOptions(), progress=progress)  # type: ignore[arg-type]
