"""Resolve an `adventure-elt` command line without running it, for the docs and flows tests."""

from __future__ import annotations

from typing import Any

from typer.main import get_command

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
