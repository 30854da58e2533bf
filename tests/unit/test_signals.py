"""`adventure_elt.signals` and the engine's side of an interrupt, in this process.

The commands under real signals are in tests/hostile/test_interrupts.py.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest

from adventure_elt import signals
from adventure_elt.warehouse.duckdb import _interrupts_kept


@pytest.fixture
def sigint_raises() -> Iterator[None]:
    """Python's own SIGINT handling (a test worker may have changed it), restored after."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)
    signals.forget()


def test_caught_calls_back_instead_of_interrupting_then_puts_the_handlers_back() -> None:
    before = {s: signal.getsignal(s) for s in signals.STOP_SIGNALS}
    stopped = threading.Event()
    with signals.caught(stopped.set) as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stopped.wait(5)
    assert stop.name == "SIGTERM"
    assert {s: signal.getsignal(s) for s in signals.STOP_SIGNALS} == before
    assert signals.received() is None  # caught, so nothing was interrupted


def test_interrupt_is_remembered_by_name(sigint_raises: None) -> None:
    with pytest.raises(KeyboardInterrupt):
        signals.interrupt(signal.SIGTERM)
    assert signals.received() == "SIGTERM"
    signals.forget()
    assert signals.received() is None


def test_the_duckdb_adapter_lets_an_interrupted_query_through() -> None:
    """DuckDB answers Ctrl-C during a query with RuntimeError("Query interrupted") (seen with
    DuckDB 2.0.1; whether it notices the signal at all depends on the task under way, so this is
    the adapter's side alone): a check query then fell back to running each check alone, and
    `test` passed. tests/hostile/test_interrupts.py sends the real signal."""
    with pytest.raises(KeyboardInterrupt), _interrupts_kept():
        raise RuntimeError("Query interrupted")
    with pytest.raises(RuntimeError, match="no such table"), _interrupts_kept():
        raise RuntimeError("no such table")
