"""Stop signals, handled in one place.

The command line turns SIGINT (Ctrl-C) and SIGTERM (Kestra's timeout, systemd, `docker stop`)
alike into `KeyboardInterrupt` while its command runs (`installed`): a command ends as Ctrl-C
ends it, its `finally` blocks run, nothing half-written stays (every write is one transaction or
one swap), and the CLI says `error: interrupted by SIGTERM` and exits 130. Without it, SIGTERM
killed the interpreter outright (exit 143, no line, the run's step left `running` in `ops.runs`).

A command whose stop is part of its job (`stream`, `cdc start`: store the open batch, print the
counts, exit 0) takes the signals for its duration instead (`caught`); one that catches the
interrupt and ends normally (`oltp activity` returns its counts) keeps its exit code. A library
caller's own handlers are left alone, and nothing is remembered for it: only the CLI's entry
point installs the handlers, and puts the previous ones back when its command ends.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_received: list[int] = []  # the stop signals that interrupted the CLI's command
_installed = False


class Interrupted(KeyboardInterrupt):
    """A stop signal ended the work: `KeyboardInterrupt` that knows which one."""

    def __init__(self, signum: int) -> None:
        self.signal_name = signal.Signals(signum).name
        super().__init__(f"interrupted by {self.signal_name}")


@contextmanager
def installed() -> Iterator[None]:
    """For the block (the CLI's command), SIGINT and SIGTERM raise `Interrupted`, remembered by
    name; the previous handlers come back after it. Only the main thread can take signals."""
    global _installed
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _interrupt) for signum in STOP_SIGNALS}
    _installed = True
    try:
        yield
    finally:
        _installed = False
        _received.clear()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    interrupt(signum)


def interrupt(signum: int) -> None:
    """End the work as the signal `signum` does (remembered while `installed`)."""
    if _installed:
        _received.append(signum)
    raise Interrupted(signum)


def received() -> str | None:
    """The name of the first stop signal that interrupted the CLI's command, or None."""
    return signal.Signals(_received[0]).name if _received else None


def interrupted_by(exc: BaseException) -> str | None:
    """`interrupted by SIGTERM` (or `interrupted`) when `exc` is, or follows, a stop signal."""
    name = getattr(exc, "signal_name", None) or received()
    if name:
        return f"interrupted by {name}"
    return "interrupted" if isinstance(exc, KeyboardInterrupt) else None


def forget() -> None:
    """Forget the signals received: the CLI's command has ended."""
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
