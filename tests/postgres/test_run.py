"""`run`: the whole pipeline as one recorded, resumable, retried job."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from adventure_elt.errors import ConfigError, SourceLoginRefusedError
from adventure_elt.oltp import server
from adventure_elt.oltp.generator import seed
from adventure_elt.pipeline import run
from adventure_elt.settings import Settings
from kestra_lines import read_published

pytestmark = pytest.mark.postgres


@pytest.fixture
def seeded(source_settings: Settings) -> Settings:
    with server.connect(source_settings) as conn:
        seed(conn, scale=0.02, seed=3)
    return source_settings


def runs_table(settings: Settings) -> list[tuple[str, str, int]]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as conn:
        rows = conn.execute(
            "select step, status, attempts from ops.runs order by started_at"
        ).fetchall()
    return [(str(a), str(b), int(c)) for a, b, c in rows]


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    assert settings.source_dsn is not None
    options = ["--source-dsn", settings.source_dsn, "--duckdb-path", str(settings.duckdb_path)]
    options += ["--home", str(settings.home)]
    return subprocess.run(
        [sys.executable, "-m", "adventure_elt", *options, *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_run_records_every_step_and_returns_the_report(seeded: Settings) -> None:
    result = run(seeded)
    assert result.ok
    assert [s.step for s in result.steps] == ["sync", "transform", "test", "report"]
    assert result.report is not None
    assert result.report["customer_summary"]["orders"] > 0
    assert runs_table(seeded) == [
        ("sync", "ok", 1),
        ("transform", "ok", 1),
        ("test", "ok", 1),
        ("report", "ok", 1),
    ]


def test_run_with_kestra_publishes_the_run_and_its_steps_on_stderr(seeded: Settings) -> None:
    result = cli(seeded, "--kestra", "run", "--json")
    assert result.returncode == 0, result.stderr

    document = json.loads(result.stdout)  # stdout stays the JSON document alone
    sent = read_published(result.stderr)
    assert sent.outputs["run_id"] == document["run_id"]
    assert sent.outputs["status"] == "ok"
    steps = {s["step"]: s for s in document["steps"]}
    assert {name: s["rows"] for name, s in sent.outputs["steps"].items()} == {
        name: s["rows"] for name, s in steps.items()
    }
    assert set(sent.by_tag("step_seconds", "step")) == set(steps)
    # each step's own figures ride along: sync's rows per table, checks, the report
    with server.connect(seeded) as conn, conn.cursor() as cur:
        cur.execute("select count(*) from sales.salesorderheader")
        orders = cur.fetchone()[0]
    assert sent.by_tag("rows_inserted", "table")["sales.salesorderheader"] == orders
    assert sent.outputs["orders"] == orders
    assert sent.outputs["checks_failed"] == 0
    assert sent.outputs["checks"] == steps["test"]["rows"]


def test_only_and_from_resume_part_of_the_pipeline(seeded: Settings) -> None:
    run(seeded)
    assert [s.step for s in run(seeded, only="report").steps] == ["report"]
    assert [s.step for s in run(seeded, from_step="test").steps] == ["test", "report"]
    with pytest.raises(ConfigError, match="unknown step 'load'"):
        run(seeded, only="load")


def test_a_failed_check_exits_1_and_is_recorded(
    seeded: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with server.connect(seeded) as conn, conn.cursor() as cur:
        # totaldue must equal subtotal + tax + freight: break it for one order
        cur.execute(
            "update sales.salesorderheader set totaldue = totaldue + 1, modifieddate = now()"
            " where salesorderid = (select min(salesorderid) from sales.salesorderheader)"
        )
    result = cli(seeded, "run")
    assert result.returncode == 1, result.stderr
    assert "checks failed" in result.stderr
    assert "Traceback" not in result.stderr
    statuses = {step: status for step, status, _ in runs_table(seeded)}
    assert statuses == {"sync": "ok", "transform": "ok", "test": "failed"}

    runs = json.loads(cli(seeded, "runs", "--json").stdout)
    assert [(r["status"], len(r["steps"])) for r in runs] == [("failed", 3)]
    test = runs[0]["steps"][-1]
    assert (test["step"], test["status"], test["counts"]) == ("test", "failed", "checks run")
    assert "checks failed" in test["error"] and test["seconds"] >= 0
    # piped and 80 columns wide: one line per step, the whole error on its line, nothing cut
    monkeypatch.setenv("COLUMNS", "80")
    table = cli(seeded, "runs")
    assert table.returncode == 0, table.stderr
    (line,) = [line for line in table.stdout.splitlines() if " test " in line]
    assert test["error"] in line and "…" not in table.stdout
    assert runs[0]["run_id"] in line and "checks run" in line


def test_a_dropped_source_is_retried_until_it_is_back(tmp_path: Path) -> None:
    embedded = Settings(home=tmp_path / "pg-home")
    dsn = server.start(embedded)
    settings = Settings(source_dsn=dsn, duckdb_path=tmp_path / "w.duckdb", home=tmp_path)
    with server.connect(settings) as conn:
        seed(conn, scale=0.01, seed=1)
    server.stop(embedded)  # the source goes away before the run starts
    waits: list[float] = []

    def restart_source(seconds: float) -> None:
        waits.append(seconds)
        server.start(embedded)

    try:
        result = run(settings, only="sync", backoff_seconds=0.5, sleep=restart_source)
    finally:
        server.stop(embedded)
    assert result.steps[0].status == "ok"
    assert result.steps[0].attempts == 2
    assert waits == [0.5]
    assert runs_table(settings) == [("sync", "ok", 2)]


@pytest.mark.parametrize("missing", ["database", "role"])
def test_a_source_that_refuses_the_login_is_not_retried(
    pg_admin_dsn: str, tmp_path: Path, missing: str
) -> None:
    # The server answers the same whenever asked: trying again only delays the error (and,
    # for a wrong password, can lock the account).
    url, query = pg_admin_dsn.split("?", 1)
    server_part, database = url.rsplit("/", 1)
    dsn = (
        f"{server_part}/no_such_database?{query}"
        if missing == "database"
        else f"{server_part.replace('postgres@', 'no_such_role@', 1)}/{database}?{query}"
    )
    settings = Settings(source_dsn=dsn, duckdb_path=tmp_path / "w.duckdb", home=tmp_path)
    waits: list[float] = []

    with pytest.raises(SourceLoginRefusedError, match=f"refused the login: .*no_such_{missing}"):
        run(settings, only="sync", sleep=waits.append)

    assert waits == []
    assert runs_table(settings) == [("sync", "failed", 1)]


@pytest.mark.parametrize("retries", [0, 1])
def test_retries_sets_how_often_an_unreachable_source_is_tried(
    tmp_path: Path, retries: int
) -> None:
    with socket.socket() as s:  # a loopback port nothing listens on: refused at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(
        source_dsn=f"postgresql://u@127.0.0.1:{port}/db",
        duckdb_path=tmp_path / "w.duckdb",
        home=tmp_path,
    )

    failed = cli(settings, "run", "--retries", str(retries))

    assert failed.returncode == 2, failed.stderr
    assert runs_table(settings) == [("sync", "failed", retries + 1)]


def test_negative_retries_is_a_usage_error(tmp_path: Path) -> None:
    settings = Settings(
        source_dsn="postgresql://u@127.0.0.1:1/db", duckdb_path=tmp_path / "w.duckdb", home=tmp_path
    )
    refused = cli(settings, "run", "--retries", "-1")
    assert refused.returncode == 2
    assert "--retries" in refused.stderr and "Traceback" not in refused.stderr
    assert not settings.duckdb_path.exists()
