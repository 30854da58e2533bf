"""The CLI in a subprocess as a user runs it, and the one error line a failure must print."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from adventure_elt.settings import Settings


def cli_argv(settings: Settings, *args: str) -> list[str]:
    """The command line of `adventure-elt <global options of settings> <args>`."""
    options = ["--duckdb-path", str(settings.duckdb_path), "--home", str(settings.home)]
    if settings.source_dsn is not None:
        options += ["--source-dsn", settings.source_dsn]
    return [sys.executable, "-m", "adventure_elt", *options, *args]


def cli(settings: Settings, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`adventure-elt <global options of settings> <args>` as a user runs it."""
    return subprocess.run(
        cli_argv(settings, *args),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def cli_in(
    folder: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`adventure-elt <args>` run in `folder` on defaults alone (no ADVENTURE_ELT_* variables,
    nor the dlt log level an in-process CLI run may have left), as a new user runs it there;
    `env` adds or overrides variables."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ADVENTURE_ELT_") and k != "RUNTIME__LOG_LEVEL"
    }
    return subprocess.run(
        [sys.executable, "-m", "adventure_elt", *args],
        cwd=folder,
        env=clean | (env or {}),
        capture_output=True,
        text=True,
        timeout=600,
    )


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The single `error:` line of a failed command; fails on a traceback or several errors."""
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    return errors[0]
