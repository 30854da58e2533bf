"""The `adventure-elt cdc` commands as a user runs them: `start` until SIGTERM prints its
summary and exits 0, `status --json` shows the slot and the last batch, `drop` removes both,
bad options exit 2 with one line."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adventure_elt.settings import Settings
from cdc_helpers import execute, slot_in_use
from cdc_stream_helpers import GIVE_UP_SECONDS
from cli_parse import run_cli

pytestmark = pytest.mark.postgres


def wait_for_line(path: Path, text: str, proc: subprocess.Popen[bytes]) -> None:
    give_up = time.monotonic() + GIVE_UP_SECONDS
    while text not in path.read_text():
        assert proc.poll() is None, path.read_text()
        assert time.monotonic() < give_up, path.read_text()
        time.sleep(0.05)


def test_start_streams_until_sigterm_then_status_and_drop(
    cdc_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cdc_env.source_dsn is not None
    stderr = cdc_env.home / "cdc.stderr"
    with stderr.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "adventure_elt", "cdc", "start", "--json"],
            stdout=subprocess.PIPE,
            stderr=err,
            env=dict(os.environ),
        )
        wait_for_line(stderr, "cdc: streaming", proc)
        execute(
            cdc_env.source_dsn,
            "insert into sales.creditcard values (9501, 'Vista', '9501-1', 5, 2030, now())",
        )
        wait_for_line(stderr, "cdc: applied up to", proc)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr.read_text()
    summary = json.loads(out)
    assert summary["initial_copy"] is True
    assert summary["changes"] == 1
    assert summary["tables"] == {"sales.creditcard": {"inserted": 1, "updated": 0, "deleted": 0}}
    assert summary["lag_bytes"] is not None

    code, out, err_text = run_cli(["cdc", "status", "--json"], capsys)
    assert code == 0, err_text
    status = json.loads(out)
    assert status["slot_exists"] and status["publication_exists"]
    assert status["active_pid"] is None
    assert status["last_batch"]["changes"] == 1
    assert status["retained_wal_bytes"] >= 0
    assert status["warnings"] == []

    code, out, err_text = run_cli(["cdc", "status", "--warn-retained", "0"], capsys)
    assert code == 1
    assert "retains" in err_text and "cdc drop" in err_text

    code, out, _ = run_cli(["cdc", "drop"], capsys)
    assert code == 0
    assert "dropped" in out
    code, out, _ = run_cli(["cdc", "status", "--json"], capsys)
    assert json.loads(out)["slot_exists"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["cdc", "start", "--max-wait", "0s"], "--max-wait"),
        (["cdc", "start", "--max-wait", "soon"], "soon"),
        (["cdc", "start", "--max-changes", "0"], "--max-changes"),
    ],
)
def test_bad_options_exit_2_with_one_line(
    cdc_env: Settings, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err_text = run_cli(args, capsys)
    assert code == 2
    assert message in err_text
    assert "Traceback" not in err_text


def test_start_says_it_waits_for_a_slot_still_held(
    cdc_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cdc_env.source_dsn is not None
    assert run_cli(["cdc", "start", "--duration", "1s"], capsys)[0] == 0  # the slot and the copy
    # held as by a run killed a moment ago, let go after a second
    with slot_in_use(cdc_env.source_dsn, cdc_env.cdc_slot, cdc_env.cdc_publication, 1.0):
        # (--duration counts from the start, the wait included)
        code, _, err_text = run_cli(["cdc", "start", "--duration", "3s"], capsys)
    assert code == 0, err_text
    assert re.search(
        rf"cdc: slot {cdc_env.cdc_slot} is held by process \d+ .*; waiting up to 10 s for it",
        err_text,
    ), err_text
    assert "cdc: streaming" in err_text
