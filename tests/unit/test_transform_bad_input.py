"""Bad models and failing checks through the command line: one clear line, the documented exit
code, and a warehouse that is never left half-built.

What the runner guarantees:
- syntax errors, unknown upstreams, cycles and portability problems are found before the first
  statement runs: the warehouse is not touched at all;
- a model that fails in the engine stops the run: the models built before it stay built, the
  failing model keeps its previous version (each build is one atomic statement, an incremental
  merge one transaction), the models after it are not built, and no work table is left behind.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from transform_helpers import make_raw, settings_for, write_file, write_project

from adventure_elt.cli import main
from adventure_elt.settings import Settings
from adventure_elt.warehouse import DuckDBWarehouse

BUILT_LAYERS = ("seeds", "staging", "marts", "reports")


def run(
    settings: Settings, sql_dir: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """`adventure-elt --duckdb-path … <command> --sql-dir … <args>` → (exit code, out, err)."""
    command, *rest = args
    argv = ["adventure-elt", "--duckdb-path", str(settings.duckdb_path), command]
    argv += ["--sql-dir", str(sql_dir), *rest]
    capsys.readouterr()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", argv)
        with pytest.raises(SystemExit) as exited:
            main()
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def tables(settings: Settings) -> dict[str, str]:
    """Every relation of the built layers: `layer.name` → BASE TABLE / VIEW."""
    with DuckDBWarehouse(settings.duckdb_path) as wh:
        rows = wh.fetch_all(
            "select table_schema || '.' || table_name, table_type from information_schema.tables"
        )
    return {str(k): str(v) for k, v in rows if str(k).split(".")[0] in BUILT_LAYERS}


def error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    return lines[0].removeprefix("error: ")


@pytest.fixture
def project(tmp_path: Path) -> tuple[Settings, Path]:
    settings = settings_for(tmp_path)
    make_raw(settings)
    return settings, write_project(tmp_path)


BAD_MODELS = {
    "syntax error": (
        {
            "reports/rpt_broken.sql": (
                "select\n    customer_name\nfrom marts.dim_customer\nwhere (\n"
            )
        },
        r"sql/reports/rpt_broken.sql:4: SQL syntax error near '\(': incomplete expression",
    ),
    "unknown upstream": (
        {
            "marts/fct_extra.sql": (
                "select *\nfrom staging.stg_orders\njoin staging.stg_refunds using (order_id)\n"
            )
        },
        r"sql/marts/fct_extra.sql:3: unknown upstream staging.stg_refunds",
    ),
    "cycle": (
        {
            "marts/dim_a.sql": "select *\nfrom marts.dim_b\n",
            "marts/dim_b.sql": "select *\nfrom marts.dim_a\n",
        },
        r"dependency cycle: sql/marts/dim_\w\.sql:2 reads marts\.dim_\w; "
        r"sql/marts/dim_\w\.sql:2 reads marts\.dim_\w; break the loop",
    ),
    "portability": (
        {
            "reports/rpt_week.sql": (
                "select\n    date_trunc(order_id, isoweek) as w\nfrom marts.fct_orders\n"
            )
        },
        r"sql/reports/rpt_week.sql:2: truncation to ISOWEEK .* \[week_start\]; use date\(",
    ),
}


# `test` reads what was built, so only the project errors concern it (not the portability lint)
COMMANDS = [
    (command, case)
    for command in ("transform", "compile", "test")
    for case in BAD_MODELS
    if not (command == "test" and case == "portability")
]


@pytest.mark.parametrize("command", ["transform", "test", "compile", "docs"])
@pytest.mark.parametrize("folder", ["missing", "empty", "seeds only"])
def test_a_sql_dir_without_models_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, folder: str
) -> None:
    """A mistyped `--sql-dir` built nothing and `test` passed every check of nothing (exit 0):
    a CI gate turned green."""
    settings = settings_for(tmp_path)
    make_raw(settings)
    sql_dir = tmp_path / "sql"
    if folder != "missing":
        (sql_dir / "staging").mkdir(parents=True)
    if folder == "seeds only":
        write_file(sql_dir, "seeds/colours.csv", "id,name\n1,red\n")
    code, out, err = run(settings, sql_dir, capsys, command)
    assert (code, out) == (2, ""), err
    expected = "no such folder" if folder == "missing" else "no models"
    assert error_line(err).startswith(f"{sql_dir}: {expected}"), err
    assert tables(settings) == {}


def test_transform_before_any_sync_creates_no_warehouse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It created the folders and a DuckDB file holding the seeds, then failed on the first
    staging model (`Table with name person_address does not exist`)."""
    sql_dir = write_project(tmp_path)
    missing = Settings(duckdb_path=tmp_path / "not" / "yet" / "w.duckdb", home=tmp_path)
    code, out, err = run(missing, sql_dir, capsys, "transform")
    assert (code, out) == (2, ""), err
    assert error_line(err) == (
        f"warehouse {missing.duckdb_path} does not exist yet; run 'adventure-elt sync' first"
    )
    assert not (tmp_path / "not").exists()


@pytest.mark.parametrize(("command", "case"), COMMANDS)
def test_a_bad_model_is_one_line_exit_2_and_builds_nothing(
    project: tuple[Settings, Path],
    capsys: pytest.CaptureFixture[str],
    case: str,
    command: str,
) -> None:
    settings, sql_dir = project
    files, message = BAD_MODELS[case]
    for relative, text in files.items():
        write_file(sql_dir, relative, text)
    code, out, err = run(settings, sql_dir, capsys, command)
    assert code == 2
    assert out == ""
    line = error_line(err)
    assert re.match(message, line), line
    if command == "transform":
        # found before running: not even the valid models or the seeds were built
        assert tables(settings) == {}


def test_a_failing_check_shows_offending_rows_and_exits_1(
    project: tuple[Settings, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    settings, sql_dir = project
    # order 3 has a negative amount: the model-level SQL check `amounts_are_positive` fails
    make_raw(settings, [(1, 10, "5.5", 1), (2, 10, "7.25", 2), (3, 11, "-1", 3)])
    assert run(settings, sql_dir, capsys, "transform")[0] == 0
    code, out, _ = run(settings, sql_dir, capsys, "test")
    assert code == 1
    assert re.search(r"^ *\d+ of \d+ FAIL 1 +marts.fct_orders amounts_are_positive \[", out, re.M)
    assert "-2.000000000" in out  # the offending row itself
    assert re.search(r"^PASS=\d+ WARN=0 ERROR=1 TOTAL=\d+$", out.strip().splitlines()[-1])
    assert out.count("FAIL") == 1


def test_a_model_failing_at_run_time_keeps_earlier_and_previous_builds(
    project: tuple[Settings, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    settings, sql_dir = project
    assert run(settings, sql_dir, capsys, "transform")[0] == 0
    before = tables(settings)
    with DuckDBWarehouse(settings.duckdb_path) as wh:
        old_revenue = wh.fetch_all("select * from reports.rpt_revenue order by 1")
        # a customer is renamed: dim_customer is built before the fact, the report after it
        wh.execute("update raw.sales_customers set name = 'Ana Bell' where customerid = 10")
    # the incremental fact now parses and lints but fails in the engine (a bad cast)
    fact = sql_dir / "marts" / "fct_orders.sql"
    fact.write_text(
        fact.read_text().replace(
            "statuses.status_name\n",
            "statuses.status_name,\n        cast(statuses.status_name as int64) as status_number\n",
        )
    )
    code, _, err = run(settings, sql_dir, capsys, "transform")
    assert code == 2
    line = error_line(err.splitlines()[-1])
    assert line.startswith("sql/marts/fct_orders.sql: building marts.fct_orders failed:")
    assert "Could not convert string" in line
    assert tables(settings) == before  # the same relations: no work table left behind
    with DuckDBWarehouse(settings.duckdb_path) as wh:
        # built before the failure
        assert wh.fetch_all("select customer_name from marts.dim_customer order by 1") == [
            ("Ana Bell",),
            ("Bo",),
        ]
        # the failing model keeps its previous version, whole
        assert wh.fetch_all("select order_id from marts.fct_orders order by 1") == [
            (1,),
            (2,),
            (3,),
        ]
        # the report after it was not rebuilt: it still has the old name
        assert wh.fetch_all("select * from reports.rpt_revenue order by 1") == old_revenue
        assert old_revenue[0][0] == "Ana"
