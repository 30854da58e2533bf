"""What the CLI prints when it is not on a terminal: whole tables and one line per finished task."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from rich.table import Table

from adventure_elt import __version__
from adventure_elt.cli import options
from adventure_elt.cli.console import RichProgress, plain_text, print_table
from adventure_elt.progress import ProgressEvent
from cli_parse import run_cli


def test_a_wide_table_piped_at_80_columns_keeps_every_name_and_number(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    table = Table(title="Raw layer vs source", title_justify="left")
    for name in ("table", "source", "warehouse", "missing", "extra", "differing", "status"):
        table.add_column(name)
    table.add_row(
        "production.productsubcategory", "58,842,118", "58,842,118", "0", "0", "0", "[red]ok[/red]"
    )

    print_table(table)

    out = capsys.readouterr().out
    (row,) = [line for line in out.splitlines() if "production.productsubcategory" in line]
    assert row.count("58,842,118") == 2 and len(row) > 80  # wider than the terminal, not cut
    assert "…" not in out and "\x1b[" not in out  # no ellipsis, no colour codes
    assert all(line == line.rstrip() for line in out.splitlines())


def test_plain_text_fits_a_title_longer_than_the_columns() -> None:
    table = Table("n", title="Product sales by category (top 20 of 35 by revenue; --json: all)")
    table.add_row("1")
    assert plain_text(table).splitlines()[0].strip() == table.title


def test_finished_tasks_are_one_line_each_with_their_time_and_rate(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ticks = iter([10.0, 12.5])  # the first event, then the last
    with RichProgress(clock=lambda: next(ticks)) as progress:
        progress(ProgressEvent("sync sales.customer", 0, 19_820, "initial"))
        progress(ProgressEvent("sync sales.customer", 10_000, 19_820, "initial"))
        progress(ProgressEvent("sync sales.customer", 19_820, message="19,820 new", finished=True))

    assert capsys.readouterr().err == "sync sales.customer: 19,820 19,820 new (2.5 s, 7,928/s)\n"


def test_version_quiet_and_runs_before_any_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    base = ["--duckdb-path", str(warehouse)]

    code, out, err = run_cli(["--version"], capsys)
    assert (code, out, err) == (0, f"adventure-elt {__version__}\n", "")

    code, out, err = run_cli([*base, "runs"], capsys)
    assert (code, out) == (0, "")
    assert err.startswith("no runs recorded yet")
    assert run_cli([*base, "runs", "--json"], capsys) == (0, "[]\n", "")

    assert run_cli([*base, "--quiet", "runs"], capsys) == (0, "", "")  # messages silenced
    code, _, err = run_cli([*base, "-q", "runs", "--last", "0"], capsys)
    assert code == 2 and err.startswith("error: ")  # errors still print


def test_dlt_logs_errors_only_unless_verbose_or_the_user_set_a_level(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    runs = ["--duckdb-path", str(warehouse), "runs", "--json"]
    monkeypatch.setenv("RUNTIME__LOG_LEVEL", "unset")  # restored after the test
    monkeypatch.setattr(options, "_USERS_DLT_LOG_LEVEL", None)

    levels = []
    for flags in ([], ["--verbose"], ["-q"]):
        assert run_cli([*flags, *runs], capsys)[0] == 0
        levels.append(os.environ["RUNTIME__LOG_LEVEL"])
    assert levels == ["ERROR", "WARNING", "ERROR"]

    monkeypatch.setattr(options, "_USERS_DLT_LOG_LEVEL", "DEBUG")
    assert run_cli(["--verbose", *runs], capsys)[0] == 0
    assert os.environ["RUNTIME__LOG_LEVEL"] == "DEBUG"
