"""The README cannot rot: its two set-up commands and every CLI line in it must exist."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from cli_parse import parse_cli

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()


def bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", README, flags=re.S)


SEPARATORS = {"|", "&&", ";"}
REDIRECTS = {">", ">>", "<", "2>"}


def readme_commands() -> list[list[str]]:
    """Every `adventure-elt` command of a bash line that starts with one, pipes included."""
    commands = []
    for block in bash_blocks():
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if not line.startswith("adventure-elt "):
                continue
            segment: list[str] = []
            for token in [*shlex.split(line), "|"]:
                if token not in SEPARATORS:
                    segment.append(token)
                    continue
                if segment and segment[0] == "adventure-elt":
                    commands.append(_without_redirects(segment[1:]))
                segment = []
    return commands


def _without_redirects(args: list[str]) -> list[str]:
    """`stream generate … > events.jsonl` → the arguments the CLI sees."""
    kept: list[str] = []
    skip = False
    for token in args:
        if skip:
            skip = False
        elif token in REDIRECTS:
            skip = True
        else:
            kept.append(token)
    return kept


def test_quick_start_is_exactly_two_make_commands() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", quick_start, flags=re.S)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines()]
    assert commands == ["make demo", "make test"]


def make_dry_run(*args: str) -> str:
    """What `make -n <args>` would run (as if pyproject.toml changed, so the install shows)."""
    return subprocess.run(
        ["make", "-n", "-W", "pyproject.toml", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.parametrize(
    ("target", "expected"), [("demo", "adventure-elt demo"), ("test", "pytest")]
)
def test_make_targets_run_what_the_readme_promises(target: str, expected: str) -> None:
    assert expected in make_dry_run(target)


def test_make_test_runs_on_every_core_then_the_serial_tests_two_at_a_time() -> None:
    dry_run = make_dry_run("test")
    parallel = dry_run.index('-n auto --dist loadfile -m "not serial"')
    assert dry_run.index("-n 2 --dist load -m serial") > parallel
    one_process = make_dry_run("test", "PYTEST_WORKERS=0", "SERIAL_WORKERS=0")
    assert '-n 0 --dist loadfile -m "not serial"' in one_process
    assert "-n 0 --dist load -m serial" in one_process


@pytest.mark.parametrize("args", readme_commands(), ids=" ".join)
def test_every_readme_command_line_parses(args: list[str]) -> None:
    assert parse_cli(args) is not None


def test_readme_shows_commands() -> None:
    assert len(readme_commands()) >= 8


def test_every_section_heading_appears_once() -> None:
    headings = re.findall(r"^## .*$", README, flags=re.M)
    repeated = sorted({heading for heading in headings if headings.count(heading) > 1})
    assert repeated == []


def test_the_promises_table_has_no_placeholder_row() -> None:
    promises = README.split("## Promises and what was tried", 1)[1].split("\n## ", 1)[0]
    assert "to be filled in" not in promises
