"""SIGTERM and SIGINT in the middle of a stream: the open batch is stored, and nothing the
ingester acknowledged (a `batch N:` line on stderr) is lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from adventure_elt.stream.generator import EventGenerator, event_lines


def start_ingest(path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ADVENTURE_ELT_DUCKDB_PATH": str(path)}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "adventure_elt",
            "stream",
            "ingest",
            "--json",
            "--batch-size",
            "1000000",
            "--max-wait",
            "100ms",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_stream_stores_the_open_batch_and_loses_nothing_acknowledged(
    tmp_path: Path, signum: int
) -> None:
    lines = list(line for line in event_lines(EventGenerator(seed=9), count=700) if line)
    path = tmp_path / "w.duckdb"
    proc = start_ingest(path)
    assert proc.stdin is not None and proc.stderr is not None and proc.stdout is not None
    proc.stdin.write(b"".join(lines[:300]))
    proc.stdin.flush()
    acknowledged = proc.stderr.readline().decode()  # blocks until the first batch is stored
    assert "batch 1: 300 loaded" in acknowledged, acknowledged
    proc.stdin.write(b"".join(lines[300:500]))  # an open batch, maybe partly read
    proc.stdin.flush()
    proc.send_signal(signum)  # the pipe stays open: the stream has not ended
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    counts = json.loads(out)
    assert counts["read"] == counts["loaded"] + counts["duplicates"] + counts["rejected"]
    assert 300 <= counts["loaded"] <= 500
    with duckdb.connect(str(path), read_only=True) as con:
        stored = con.execute("select count(*) from raw.web_events").fetchone()
    assert stored == (counts["loaded"],)

    # replaying the whole stream afterwards fills the gap exactly once
    replay = start_ingest(path)
    out, _ = replay.communicate(b"".join(lines), timeout=60)
    again = json.loads(out)
    assert again["loaded"] == 700 - counts["loaded"]
    assert again["duplicates"] == counts["loaded"]
