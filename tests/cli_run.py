"""The CLI in a subprocess as a user runs it, and the one error line a failure must print."""

from __future__ import annotations

import subprocess
import sys

from adventure_elt.settings import Settings


def cli(settings: Settings, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`adventure-elt <global options of settings> <args>` as a user runs it."""
    options = ["--duckdb-path", str(settings.duckdb_path), "--home", str(settings.home)]
    if settings.source_dsn is not None:
        options += ["--source-dsn", settings.source_dsn]
    return subprocess.run(
        [sys.executable, "-m", "adventure_elt", *options, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The single `error:` line of a failed command; fails on a traceback or several errors."""
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    return errors[0]
