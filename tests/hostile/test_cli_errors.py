"""Careless command lines: every usage error, on every command, is one line with a `--help` hint.

Also the durations nobody means (`--lag 99999999999999999999d`) and a bug's last-resort line:
no traceback, no password, a documented exit code.
"""

from __future__ import annotations

import importlib
import re
import socket
import typing
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.main import get_command

from adventure_elt.cli import app
from hostile.hostile_checks import run_cli


def leaf_commands() -> list[list[str]]:
    """Every command path of the app, e.g. ['oltp', 'status'], ['sync']."""
    paths: list[list[str]] = []

    def visit(command: Any, path: list[str]) -> None:
        children = getattr(command, "commands", None)
        if children:
            for name, child in children.items():
                visit(child, [*path, name])
        else:
            paths.append(path)

    visit(get_command(app), [])
    return paths


def assert_one_line(result: tuple[int, str, str], code: int, *words: str) -> str:
    exit_code, out, err = result
    assert exit_code == code, err
    assert out == ""
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for word in words:
        assert word in err, err
    return err


@pytest.mark.parametrize("path", leaf_commands(), ids=" ".join)
def test_an_unknown_option_is_one_line_with_the_help_hint(
    path: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli([*path, "--no-such-option"], capsys)

    assert_one_line(
        result,
        2,
        "No such option: --no-such-option",
        f"see 'adventure-elt {' '.join(path)} --help'",
    )


def test_there_are_many_commands() -> None:
    assert len(leaf_commands()) >= 20


def test_the_readme_counts_every_command_tried() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    counted = re.search(r"an unknown option on every command \((\d+)\)", readme)

    assert counted is not None
    assert int(counted.group(1)) == len(leaf_commands())


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["query", "revenue", "--limit", "-5"], ["'--limit'", "see 'adventure-elt query --help'"]),
        (["dashboard", "--port", "70000"], ["'--port'", "see 'adventure-elt dashboard --help'"]),
        (["lineage"], ["Missing argument", "see 'adventure-elt lineage --help'"]),
        # these ran everything, or the one step, as if the other option were not there
        (["transform", "--select", ",,,"], ["--select names no model"]),
        (["test", "--select", " "], ["--select names no model"]),
        (["run", "--from", "report", "--only", "sync"], ["give --from", "not both"]),
        # the files held a project id BigQuery (and ADVENTURE_ELT_BIGQUERY_PROJECT) refuses
        (["airbyte-config", "--project", "p`; x", "--check"], ["not a valid BigQuery project"]),
        # Streamlit took a blank address for 0.0.0.0: the dashboard on every interface
        (["dashboard", "--host", ""], ["'--host'", "give an address"]),
        (["dashboard", "--host", "  "], ["'--host'", "give an address"]),
        (["query"], ["name at least one measure", "see 'adventure-elt query --help'"]),
        (["no-such-command"], ["No such command", "see 'adventure-elt --help'"]),
        (["--warehouse"], ["requires an argument", "see 'adventure-elt --help'"]),
        (
            ["oltp", "seed", "--scale", "many"],
            ["'--scale'", "see 'adventure-elt oltp seed --help'"],
        ),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_usage_errors_are_one_line(
    args: list[str], words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert_one_line(run_cli(args, capsys), 2, *words)


@pytest.mark.parametrize(
    "args",
    [
        ["sync", "--lag", "99999999999999999999d"],
        ["stream", "ingest", "--max-age", "99999999999999999999d"],
        ["stream", "ingest", "--max-future", "99999999999999999999"],
        ["stream", "generate", "--duration", "36501d"],
    ],
    ids=" ".join,
)
def test_absurd_durations_are_one_line(
    args: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert_one_line(run_cli(args, capsys), 2, "is over 100 years")


def test_a_bug_is_one_redacted_line_with_exit_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    report = importlib.import_module("adventure_elt.report")

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("boom at postgresql://etl:Bug#Secret@db/aw\nsecond line")

    monkeypatch.setattr(report, "report", broken)

    err = assert_one_line(run_cli(["report"], capsys), 1, "unexpected RuntimeError", "a bug")
    assert "Bug#Secret" not in err and "Secret" not in err

    monkeypatch.setenv("ADVENTURE_ELT_TRACEBACK", "1")
    code, _, err = run_cli(["report"], capsys)
    assert code == 1 and "Traceback" in err and "broken" in err
    assert "Secret" not in err


def test_dashboard_on_a_busy_port_is_one_line_exit_2(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = tmp_path / "adventure.duckdb"
    duckdb.connect(str(warehouse)).close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(
            ["--duckdb-path", str(warehouse), "dashboard", "--port", str(port)], capsys
        )

    assert_one_line(result, 2, f"port {port} on 127.0.0.1 is in use", f"--port {port + 1}")


def float_options() -> list[tuple[list[str], str]]:
    """Every float option of every command: (command path, option name)."""
    found = []
    for path in leaf_commands():
        command: Any = get_command(app)
        for name in path:
            command = command.commands[name]
        for param in command.params:
            annotation = param.type_descriptor.annotation  # Typer's record of the hint
            if annotation is float or float in typing.get_args(annotation):
                found.append((path, param.opts[0]))
    return found


def test_there_are_float_options() -> None:
    assert len(float_options()) >= 6


@pytest.mark.parametrize(("path", "option"), float_options(), ids=str)
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_a_float_option_refuses_what_is_not_a_number(
    path: list[str], option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`stream run --rate inf` printed a thread's traceback and exited 0; `demo --stream-seconds
    inf` failed as a bug after the source had been refilled."""
    assert_one_line(run_cli([*path, option, value], capsys), 2, f"'{option}'", "--help")


@pytest.mark.parametrize(
    "args",
    [
        ["stream", "run", "--rate", "1e308", "--duration", "1s"],
        ["oltp", "seed", "--scale", "0.01", "--seed", "-1"],
        ["demo", "--scale", "0.01", "--seed", "-1"],
        ["runs", "-n", "99999999999999999999"],
        ["query", "revenue", "--limit", "9223372036854775808"],
    ],
    ids=" ".join,
)
def test_numbers_out_of_range_are_usage_errors(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Each was an exit-1 "bug" line (OverflowError, ValueError, DuckDB's ConversionException)."""
    assert_one_line(run_cli(args, capsys), 2, "Invalid value", "--help")


def test_a_dsn_libpq_cannot_parse_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    """It was "unexpected ProgrammingError: invalid dsn … this is a bug" (exit 1)."""
    dsn = "postgresql://etl:Dsn-Secret9@127.0.0.1:1/aw?bogus=1"
    err = assert_one_line(
        run_cli(["--source-dsn", dsn, "sync"], capsys),
        2,
        'the source DSN is not valid (invalid URI query parameter: "bogus")',
    )
    assert "Dsn-Secret9" not in err


@pytest.mark.parametrize("kind", ["a folder of other files", "a file"])
def test_oltp_up_refuses_a_data_folder_that_is_not_postgresqls(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """It printed initdb's page of output, after pgserver had given the folder to its own system
    user."""
    target = tmp_path / "mine"
    if kind == "a file":
        target.write_text("not a folder")
    else:
        target.mkdir()
        (target / "thesis.txt").write_text("years of work")
    before = (target.stat().st_uid, sorted(p.name for p in tmp_path.rglob("*")))
    monkeypatch.setenv("ADVENTURE_ELT_PG_DATA", str(target))
    words = ["is a file"] if kind == "a file" else ["is not empty and holds no PostgreSQL data"]
    args = ["--home", str(tmp_path / "home"), "oltp", "up"]
    assert_one_line(run_cli(args, capsys), 2, *words, "ADVENTURE_ELT_PG_DATA")
    assert (target.stat().st_uid, sorted(p.name for p in tmp_path.rglob("*"))) == before


def test_an_error_echoing_a_huge_argument_stays_a_readable_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no warehouse here: `--sql` compiles without one
    args = ["query", "m" * 100_000, "--sql"]
    err = assert_one_line(run_cli(args, capsys), 2, "unknown measure")
    assert len(err) < 1_100 and err.rstrip().endswith("more characters)"), len(err)
