"""The README tour piped to files in an 80-column terminal: plain lines, nothing cut or doubled.

Each command runs as a user runs it, with `COLUMNS=80` and stdout and stderr captured (not a
terminal), after one `demo` on synthetic data. What an operator reading the log would notice:
a name or number cut to `…`, colour codes, dlt's `[WARNING]` lines, a summary on both streams.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

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
    ["query", "revenue", "orders", "--by", "product.category", "--where", "order_date >= '2013'"],
    ["query", "revenue", "freight", "orders", "--by", "geography.country", "--order", "-revenue"],
    ["query", "--list"],
    ["report"],
    ["run"],
    ["run", "--from", "transform"],
    ["runs"],
    ["oltp", "status"],
]  # fmt: skip


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVENTURE_ELT_")}
    env |= {"COLUMNS": "80", "TERM": "xterm-256color"}  # a narrow colour terminal, output piped
    env.pop("RUNTIME__LOG_LEVEL", None)
    return subprocess.run(
        [sys.executable, "-m", "adventure_elt", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


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


def test_dlt_warnings_show_with_verbose_only(shop: tuple[Path, str]) -> None:
    quiet = run("sync", "--full-refresh", "--tables", "sales.salesorderheader", cwd=shop[0])
    verbose = run(
        "--verbose", "sync", "--full-refresh", "--tables", "sales.salesorderheader", cwd=shop[0]
    )
    assert quiet.returncode == verbose.returncode == 0, quiet.stderr + verbose.stderr
    assert "[WARNING]" not in quiet.stderr
    assert "[WARNING]" in verbose.stderr and "dedup_sort" in verbose.stderr
