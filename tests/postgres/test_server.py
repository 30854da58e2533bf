from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from adventure_elt.oltp import schema, server
from adventure_elt.settings import Settings

pytestmark = pytest.mark.postgres


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adventure_elt", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_up_down_status_are_idempotent(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert not server.status(settings).running
    dsn = server.start(settings)
    assert server.start(settings) == dsn
    state = server.status(settings)
    assert state.running and state.dsn == dsn
    assert settings.pg_data_dir.resolve() == tmp_path.resolve() / "pg"
    assert server.stop(settings)
    assert not server.stop(settings)
    assert not server.status(settings).running


def test_cli_up_status_down(tmp_path: Path) -> None:
    home = ["--home", str(tmp_path)]
    up = cli(*home, "oltp", "up")
    assert up.returncode == 0, up.stderr
    assert up.stdout.startswith("postgresql://postgres@/adventureworks?host=")
    assert cli(*home, "oltp", "up").stdout == up.stdout
    status = cli(*home, "oltp", "status")
    assert "embedded PostgreSQL running" in status.stdout and status.returncode == 0
    assert cli(*home, "oltp", "down").returncode == 0
    down = cli(*home, "oltp", "status")
    assert "stopped" in down.stdout and down.returncode == 2  # scripts can test it
    assert json.loads(cli(*home, "oltp", "status", "--json").stdout)["running"] is False


def test_init_creates_twelve_tables_twice_without_error(source_settings: Settings) -> None:
    for _ in range(2):
        with server.connect(source_settings) as conn:
            schema.create_schema(conn)
    with server.connect(source_settings) as conn:
        counts = schema.row_counts(conn)
        with conn.cursor() as cur:
            cur.execute(
                "select count(*) from pg_indexes where indexdef like '%(modifieddate)%'"
                " and schemaname in ('person', 'sales', 'production')"
            )
            indexed = cur.fetchone()
    assert len(counts) == 12 and set(counts.values()) == {0}
    assert indexed == (12,)


def test_configured_dsn_means_up_and_down_do_nothing(source_settings: Settings) -> None:
    assert source_settings.source_dsn
    env = {"ADVENTURE_ELT_SOURCE_DSN": source_settings.source_dsn, "PATH": "/usr/bin:/bin"}
    up = cli("oltp", "up", env=env)
    assert up.returncode == 0 and "nothing to start" in up.stderr
    down = cli("oltp", "down", env=env)
    assert down.returncode == 0 and "nothing to stop" in down.stderr
    assert "external source reachable" in cli("oltp", "status", env=env).stdout


def test_unreachable_dsn_is_one_line_exit_2_without_password() -> None:
    env = {"ADVENTURE_ELT_SOURCE_DSN": "postgresql://etl:hunter2@127.0.0.1:1/aw", "PATH": "/bin"}
    result = cli("oltp", "init", env=env)
    assert result.returncode == 2
    assert "hunter2" not in result.stderr + result.stdout
    status = cli("oltp", "status", env=env)
    assert status.returncode == 2 and "external source unreachable" in status.stdout
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "cannot connect to the source at postgresql://etl:***@127.0.0.1:1/aw" in result.stderr
