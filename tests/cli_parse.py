"""Resolve an `adventure-elt` command line without running it (the docs and flows tests), or
run one in this process as the console script does."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from typer.main import get_command

from adventure_elt import cli
from adventure_elt.cli import app


def parse_cli(args: list[str]) -> Any:
    """Resolve a command line the way the CLI would, raising on unknown commands or options."""
    command: Any = get_command(app)
    ctx = command.make_context("adventure-elt", list(args))
    while hasattr(command, "resolve_command"):
        rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
        name, command, rest = command.resolve_command(ctx, rest)
        ctx = command.make_context(name, rest, parent=ctx)
    return command


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """`adventure-elt ARGS` in this process, as the console script runs it: (exit, out, err)."""
    old = sys.argv
    sys.argv = ["adventure-elt", *args]
    code = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = int(exc.code or 0) if not isinstance(exc.code, str) else 2
    finally:
        sys.argv = old
    captured = capsys.readouterr()
    return code, captured.out, captured.err
