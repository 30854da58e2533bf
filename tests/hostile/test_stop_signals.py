"""Stop signals in the stream commands, sent to real processes: `generate | ingest` piped
between two processes as a shell would, and `stream run`.

Kestra and systemd stop a task with SIGTERM, a person with Ctrl-C (SIGINT). Either way the
ingester stores what it read, prints its counts once and exits 0 — no interpreter abort (exit
134, "Fatal Python error: _enter_buffered_busy"), which a reader thread blocked on stdin's
buffered reader used to cause at exit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

import duckdb
import pytest

SIGNALS = [signal.SIGTERM, signal.SIGINT]


def cli(tmp_path: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "adventure_elt",
        "--home",
        str(tmp_path / "home"),
        "--duckdb-path",
        str(tmp_path / "w.duckdb"),
        *args,
    ]


def wait_for_line(stream: IO[bytes], phrase: str) -> str:
    """Read stderr lines until one holds `phrase` (the process's own acknowledgement)."""
    seen = []
    for raw in stream:
        text = raw.decode()
        seen.append(text)
        if phrase in text:
            return text
    raise AssertionError(f"{phrase!r} never printed; stderr was:\n{''.join(seen)}")


def stored_events(tmp_path: Path) -> int:
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        row = con.execute("select count(*) from raw.web_events").fetchone()
    assert row is not None
    return int(row[0])


def assert_clean_end(returncode: int, out: bytes, err: bytes, tmp_path: Path) -> dict[str, int]:
    """Exit 0, no abort, one summary on stdout that adds up and matches the table."""
    errors = err.decode()
    assert returncode == 0, errors
    assert "Fatal Python error" not in errors and "Traceback" not in errors, errors
    summaries = out.decode().splitlines()
    assert len(summaries) == 1, summaries
    counts: dict[str, int] = json.loads(summaries[0])
    assert counts["read"] == counts["loaded"] + counts["duplicates"] + counts["rejected"]
    assert stored_events(tmp_path) == counts["loaded"]
    return counts


@pytest.mark.parametrize("attempt", [1, 2])
@pytest.mark.parametrize("signum", SIGNALS, ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_ingest_fed_by_generate_ends_it_cleanly(
    tmp_path: Path, signum: int, attempt: int
) -> None:
    read_end, write_end = os.pipe()
    generate = subprocess.Popen(
        cli(tmp_path, "stream", "generate", "--rate", "200", "--duration", "5m"),
        stdout=write_end,
        stderr=subprocess.DEVNULL,
    )
    ingest = subprocess.Popen(
        cli(tmp_path, "stream", "ingest", "--json", "--max-wait", "100ms"),
        stdin=read_end,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    os.close(read_end)
    os.close(write_end)
    assert ingest.stderr is not None
    try:
        wait_for_line(ingest.stderr, "batch 2:")  # events are flowing through the pipe
        ingest.send_signal(signum)
        out, err = ingest.communicate(timeout=60)
    finally:
        ingest.kill()
        generate.kill()
        generate.wait(timeout=60)

    counts = assert_clean_end(ingest.returncode, out, err, tmp_path)
    assert counts["loaded"] > 0


@pytest.mark.parametrize("signum", SIGNALS, ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_stream_run_prints_its_counts(tmp_path: Path, signum: int) -> None:
    run = subprocess.Popen(
        cli(tmp_path, "stream", "run", "--json", "--rate", "500", "--duration", "5m"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert run.stderr is not None
    try:
        wait_for_line(run.stderr, "batch 1:")
        run.send_signal(signum)
        out, err = run.communicate(timeout=60)
    finally:
        run.kill()

    counts = assert_clean_end(run.returncode, out, err, tmp_path)
    assert counts["loaded"] > 0


def test_sigterm_while_stream_run_is_still_starting_prints_its_counts(tmp_path: Path) -> None:
    # "customer ids: …" is printed before the first event is generated or read.
    run = subprocess.Popen(
        cli(tmp_path, "stream", "run", "--json", "--rate", "5", "--duration", "5m"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert run.stderr is not None
    try:
        wait_for_line(run.stderr, "customer ids:")
        run.send_signal(signal.SIGTERM)
        out, err = run.communicate(timeout=60)
    finally:
        run.kill()

    assert_clean_end(run.returncode, out, err, tmp_path)  # not after five minutes
