"""What the hostile tests look at: the CLI's exit and output, files on disk, rows in DuckDB."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from adventure_elt.cli.console import redacted_output
from adventure_elt.cli.main import run_app


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """`adventure-elt ARGS` in this process, as the console script runs it: (exit, out, err)."""
    capsys.readouterr()
    with redacted_output():
        code = run_app(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_refused(result: tuple[int, str, str], word: str) -> None:
    """Exit 2, nothing on stdout, one `error:` line on stderr that names what was refused."""
    code, out, err = result
    assert code == 2, err
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("error: ") and word in err, err


def files_under(*folders: Path) -> dict[Path, int]:
    """Every file below the folders, with its size (a new or grown file shows up)."""
    return {
        path: path.stat().st_size
        for folder in folders
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def duckdb_row_counts(path: Path) -> dict[str, int]:
    """Rows of every table in a DuckDB file, read directly (not through the code under test)."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_type = 'BASE TABLE' order by 1, 2"
        ).fetchall()
        return {
            f"{schema}.{name}": con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[
                0
            ]  # type: ignore[index]
            for schema, name in tables
        }
