"""`adventure_elt.signals` and the engine's side of an interrupt, in this process.

The commands under real signals are in tests/hostile/test_interrupts.py.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from adventure_elt import signals
from adventure_elt.warehouse.duckdb import DuckDBWarehouse


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


def test_ctrl_c_during_a_duckdb_query_reaches_the_caller(
    tmp_path: Path, sigint_raises: None
) -> None:
    """DuckDB turns it into RuntimeError("Query interrupted"): a check query then fell back to
    running each check alone, and `test` passed."""
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            # minutes of work: only the signal ends it
            warehouse.fetch_all("select count(*) from range(1000000000000) as r(i) where i % 7 = 3")
    finally:
        timer.cancel()
        warehouse.close()
