"""Stop signals, handled in one place.

The command line turns SIGINT (Ctrl-C) and SIGTERM (Kestra's timeout, systemd, `docker stop`)
alike into `KeyboardInterrupt` (`install`): a command ends as Ctrl-C ends it, its `finally`
blocks run, nothing half-written stays (every write is one transaction or one swap), and the CLI
says `error: interrupted by SIGTERM` and exits 130. Without it, SIGTERM killed the interpreter
outright (exit 143, no line, the run's step left `running` in `ops.runs`).

A command whose stop is part of its job (`stream`, `cdc start`: store the open batch, print the
counts, exit 0) takes the signals for its duration instead (`caught`). A library caller's own
handlers are left alone: only the CLI calls `install`.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_received: list[int] = []  # the stop signals that interrupted this process


def install() -> None:
    """Make SIGINT and SIGTERM raise `KeyboardInterrupt` in the main thread (the CLI's)."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _interrupt)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    interrupt(signum)


def interrupt(signum: int) -> None:
    """End the command as the signal `signum` does under `install`."""
    _received.append(signum)
    raise KeyboardInterrupt


def received() -> str | None:
    """The name of the first stop signal that interrupted this process (`SIGTERM`), or None."""
    return signal.Signals(_received[0]).name if _received else None


def forget() -> None:
    """Forget the signals received (for a process that runs several commands: the tests)."""
    _received.clear()


@dataclass
class Stop:
    """The stop signal a `caught` block received, if any."""

    signum: int | None = None

    @property
    def name(self) -> str | None:
        """`SIGTERM`, `SIGINT`, or None."""
        return signal.Signals(self.signum).name if self.signum else None


@contextmanager
def caught(on_stop: Callable[[], None]) -> Iterator[Stop]:
    """For the block, SIGINT and SIGTERM call `on_stop` (finish now) instead of interrupting.

    Only the main thread can take signals; elsewhere nothing changes.
    """
    stop = Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.signum = stop.signum or signum
        on_stop()

    previous = {signum: signal.signal(signum, handle) for signum in STOP_SIGNALS}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
