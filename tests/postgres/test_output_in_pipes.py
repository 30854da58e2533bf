"""The README tour piped to files in an 80-column terminal: plain lines, nothing cut or doubled.

Each command runs as a user runs it, with `COLUMNS=80` and stdout and stderr captured (not a
terminal), after one `demo` on synthetic data. What an operator reading the log would notice:
a name or number cut to `…`, colour codes, dlt's `[WARNING]` lines, a summary on both streams.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli_run import cli_in

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

# The README tour's commands that run locally (BigQuery, the dashboard server and the long
# activity runs have tests of their own).
TOUR = [
    ["sync", "--full-refresh"],
    ["oltp", "activity", "--orders-per-minute", "600", "--duration", "10s", "--no-wait"],
    ["sync"],
    ["sync", "--detect-deletes", "--json"],
    ["reconcile"],
    ["stream", "run", "--rate", "200", "--duration", "2s"],
    ["transform"],
    ["transform", "--select", "fct_sales+"],
    ["test"],
    ["compile", "fct_sales", "--warehouse", "duckdb"],
    ["lineage", "fct_sales.line_total"],
    ["query", "revenue", "orders", "--by", "product.category", "--where",
     "order_date >= '2013-01-01'"],
    ["query", "revenue", "freight", "orders", "--by", "geography.country", "--order", "-revenue"],
    ["query", "--list"],
    ["report"],
    ["run"],
    ["run", "--from", "transform"],
    ["runs"],
    ["oltp", "status"],
]  # fmt: skip


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # a narrow colour terminal, its output piped
    return cli_in(cwd, *args, env={"COLUMNS": "80", "TERM": "xterm-256color"})


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    folder = tmp_path_factory.mktemp("tour")
    try:
        demo = run("demo", "--scale", "0.02", "--stream-seconds", "1", cwd=folder)
        assert demo.returncode == 0, demo.stderr
        yield folder, demo.stdout + demo.stderr
    finally:
        run("oltp", "down", cwd=folder)


def assert_plain(command: list[str], done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, (command, done.stderr)
    for stream in (done.stdout, done.stderr):
        # nothing cut to fit 80 columns (Rich ends a cut word with `…`; prose has ` … `)
        assert not re.search(r"\S…", stream), (command, stream)
        assert "\x1b[" not in stream, (command, stream)  # no colour codes in a file
        assert "[WARNING]" not in stream, (command, stream)  # dlt's notes for authors
        assert "Traceback" not in stream, (command, stream)


def test_demo_output_is_plain(shop: tuple[Path, str]) -> None:
    assert_plain(["demo"], subprocess.CompletedProcess([], 0, shop[1], ""))


@pytest.mark.parametrize("command", TOUR, ids=" ".join)
def test_the_tour_piped_at_80_columns_is_plain_and_whole(
    shop: tuple[Path, str], command: list[str]
) -> None:
    done = run(*command, cwd=shop[0])
    assert_plain(command, done)
    if command[0] in ("sync", "reconcile") and "--json" not in command:
        # every table named in full, on one line with its figures
        lines = done.stdout.splitlines()
        for table in ("production.productsubcategory", "sales.salesorderdetail"):
            (line,) = [line for line in lines if f" {table} " in line]
            assert any(c.isdigit() for c in line.split(table)[1]), line


def test_a_summary_prints_once_on_stdout(shop: tuple[Path, str]) -> None:
    transform = run("transform", cwd=shop[0])
    assert "models built in" in transform.stdout and "models built" not in transform.stderr
    assert "Transform" in transform.stdout  # the table is the command's data
    test = run("test", cwd=shop[0])
    assert test.stdout.splitlines()[-1].startswith("PASS=") and "PASS=" not in test.stderr


def test_dlt_log_lines_show_only_when_asked_for(shop: tuple[Path, str]) -> None:
    table = ["--tables", "sales.salesorderheader"]
    default = run("sync", "--full-refresh", *table, cwd=shop[0])
    asked = cli_in(shop[0], "sync", "--full-refresh", *table, env={"RUNTIME__LOG_LEVEL": "INFO"})

    assert default.returncode == asked.returncode == 0, default.stderr + asked.stderr
    assert "|dlt|" not in default.stderr
    assert "|[INFO]|" in asked.stderr and "|dlt|" in asked.stderr  # the user's level wins
