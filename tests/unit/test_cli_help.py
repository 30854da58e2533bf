"""`--help` as a terminal shows it: every command has an example (README), and prose flows.

Typer prints a docstring's own line breaks, made at the source's width, and then wraps again at
the terminal's: a word or two were left alone on a line (`--scale` / `gives` / `synthetic data
…` in `demo --help`).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from itertools import pairwise

import pytest
import typer

from adventure_elt.cli.main import app
from cli_parse import run_cli

WIDTH = 80  # Rich's width when stdout is not a terminal
LONGEST = WIDTH - 1  # Rich pads the help text by one column on each side


def commands() -> Iterator[tuple[list[str], object]]:
    """Every group and command of the app, with its path of names."""

    def walk(command: object, path: list[str]) -> Iterator[tuple[list[str], object]]:
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*path, name])

    yield from walk(typer.main.get_command(app), [])


def paragraphs(help_text: str) -> list[str]:
    return inspect.cleandoc(help_text).split("\n\n")


def test_every_command_has_an_example() -> None:
    without = [
        " ".join(path)
        for path, command in commands()
        if not getattr(command, "commands", None)
        and not any(p.startswith("Example") for p in paragraphs(command.help or ""))  # type: ignore[attr-defined]
    ]
    assert without == []


def docstrings(typer_app: typer.Typer = app) -> Iterator[tuple[str, str]]:
    """Each command function's name and docstring, as written."""
    for command in typer_app.registered_commands:
        if command.callback is not None:
            yield command.callback.__name__, inspect.getdoc(command.callback) or ""
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            yield from docstrings(group.typer_instance)


def test_each_example_is_a_paragraph_of_its_own() -> None:
    """Help flows each paragraph into one line: `Example: …` with `Cost guard: …` on the next
    line of the same paragraph read as one command."""
    joined = [
        name
        for name, doc in docstrings()
        for p in paragraphs(doc)
        if p.startswith("Example") and re.search(r"\n[A-Z][a-z ]+: ", p)
    ]
    assert joined == []


def test_no_paragraph_of_any_help_keeps_the_source_line_breaks() -> None:
    broken = [
        " ".join(path) or "adventure-elt"
        for path, command in commands()
        if any("\n" in p for p in paragraphs(command.help or ""))  # type: ignore[attr-defined]
    ]
    assert broken == []


def ragged_lines(text: str) -> list[str]:
    """Lines that end although the next line's first word would have fitted after them, inside
    one paragraph (a blank line, or a box's border, ends a paragraph)."""
    lines = [line.rstrip() for line in text.splitlines()]
    found = []
    for line, following in pairwise(lines):
        words = following.split()
        if not line.strip() or not words or any(c in line + following for c in "╭╰│─"):
            continue
        if len(line) + 1 + len(words[0]) <= LONGEST:
            found.append(line)
    return found


def test_ragged_lines_are_found() -> None:
    assert ragged_lines(" The data is the real database; --scale\n gives\n synthetic data.") == [
        " The data is the real database; --scale",
        " gives",
    ]
    assert ragged_lines(" One paragraph.\n\n Another one.") == []


@pytest.mark.parametrize("path", [["demo"], ["query"], ["oltp", "status"], ["bigquery-check"]])
def test_help_text_flows_at_the_terminal_width(
    path: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli([*path, "--help"], capsys)
    assert code == 0
    usage = out.partition("╭")[0]  # the prose, before the first panel
    assert "Example" in usage
    assert ragged_lines(usage) == []
