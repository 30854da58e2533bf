"""`adventure_elt.signals` and the engine's side of an interrupt, in this process.

The commands under real signals are in tests/hostile/test_interrupts.py.
"""

from __future__ import annotations

import importlib
import os
import signal
import threading
from collections.abc import Iterator

import pytest

from adventure_elt import signals
from adventure_elt.warehouse.duckdb import _interrupts_kept
from cli_parse import run_cli


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


def test_under_the_cli_the_signal_is_remembered_by_name(
    sigint_raises: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signals, "_installed", True)  # as in `installed`
    with pytest.raises(signals.Interrupted):
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


def test_a_library_caller_is_interrupted_but_nothing_is_remembered() -> None:
    """Recorded once by `demo` in a notebook's kernel, the signal made every later `run` of the
    process read as interrupted: no retries, 'interrupted by SIGINT' for any error."""
    with pytest.raises(KeyboardInterrupt) as caught:
        signals.interrupt(signal.SIGTERM)  # not `installed`: a library caller
    assert signals.received() is None
    assert signals.interrupted_by(caught.value) == "interrupted by SIGTERM"
    assert signals.interrupted_by(ValueError("a real error")) is None


def test_the_cli_forgets_the_signal_when_its_command_ends(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    report = importlib.import_module("adventure_elt.report")

    def stopped(*_: object, **__: object) -> None:
        signals._received.append(signal.SIGTERM)  # as the CLI's handler records it
        raise signals.Interrupted(signal.SIGTERM)

    monkeypatch.setattr(report, "report", stopped)
    code, _, err = run_cli(["report"], capsys)
    assert (code, err) == (130, "error: interrupted by SIGTERM\n")
    assert signals.received() is None


def test_dlts_own_signal_exception_names_the_signal() -> None:
    """During normalize and load dlt takes the signal and raises its own exception: a SIGTERM
    from Kestra was reported as SIGINT."""
    from dlt.common.exceptions import SignalReceivedException

    from adventure_elt.replicate.sync import _run

    class Loading:
        def extract(self, source: object) -> None:
            raise SignalReceivedException(signal.SIGTERM)

    with pytest.raises(signals.Interrupted) as caught:
        _run(Loading(), None, None, "postgresql://db/aw")  # type: ignore[arg-type]
    assert caught.value.signal_name == "SIGTERM"
