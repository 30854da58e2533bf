"""Shared fixtures: a real embedded PostgreSQL, fresh databases, isolated settings."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from adventure_elt.oltp import server
from adventure_elt.paths import adventureworks_dir as shipped_adventureworks
from adventure_elt.settings import Settings
from pg_databases import fresh_database
from pipeline_warehouse import pipeline_warehouse

# dlt writes to a system folder as root and phones home unless told otherwise.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` (what `make test` passes): one worker per physical core, plus one.

    The tests wait on PostgreSQL, the emulator and subprocesses often enough that a third
    worker kept a 2-core machine busier (bench/RESULTS.md). PYTEST_XDIST_AUTO_NUM_WORKERS, read
    by xdist itself, still wins."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    try:
        import psutil

        cores = psutil.cpu_count(logical=False)
    except ImportError:
        cores = None
    return (cores or os.cpu_count() or 1) + 1


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--update-goldens` rewrites tests/golden/*.sql from the current models (review the diff)."""
    parser.addoption(
        "--update-goldens",
        action="store_true",
        help="rewrite tests/golden/*.sql with the models' current transpiled DuckDB SQL",
    )


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's own settings or writes into the checkout."""
    for name in list(os.environ):
        if name.startswith(("ADVENTURE_ELT_", "SOURCES__", "DESTINATION__")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt-data"))


@pytest.fixture(scope="session")
def pg_admin_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An embedded PostgreSQL for the whole session; yields a DSN with database rights."""
    settings = Settings(home=tmp_path_factory.mktemp("pg-home"))
    dsn = server.start(settings)
    yield dsn
    server.stop(settings)


@pytest.fixture
def source_settings(pg_admin_dsn: str, tmp_path: Path) -> Iterator[Settings]:
    """Settings pointing at a brand-new empty database and a DuckDB file in tmp_path."""
    with fresh_database(pg_admin_dsn) as db:
        yield Settings(source_dsn=db.dsn, duckdb_path=tmp_path / "warehouse.duckdb", home=tmp_path)


@pytest.fixture(scope="session")
def seeded_template(pg_admin_dsn: str) -> Iterator[Callable[[float, int], str]]:
    """`template(scale, seed)`: a database the synthetic generator filled once per session (per
    worker) at that scale and seed; tests copy it (`fresh_database(admin, template)`) instead of
    seeding again. The copy is the same rows, keys and sequences."""
    from adventure_elt.oltp import generator

    made: dict[tuple[float, int], str] = {}
    with contextlib.ExitStack() as stack:

        def template(scale: float, seed: int) -> str:
            if (scale, seed) not in made:
                db = stack.enter_context(fresh_database(pg_admin_dsn, prefix="seeded"))
                with server.connect_to(db.dsn) as conn:
                    generator.seed(conn, scale=scale, seed=seed)
                made[(scale, seed)] = db.name
            return made[(scale, seed)]

        yield template


@pytest.fixture
def seeded_source(
    pg_admin_dsn: str, seeded_template: Callable[[float, int], str], tmp_path: Path
) -> Iterator[Callable[[float, int], Settings]]:
    """`seeded_source(scale, seed)`: `source_settings` whose database holds the synthetic shop
    of that scale and seed (a copy of `seeded_template`), dropped after the test."""
    with contextlib.ExitStack() as stack:

        def make(scale: float, seed: int) -> Settings:
            db = stack.enter_context(fresh_database(pg_admin_dsn, seeded_template(scale, seed)))
            return Settings(
                source_dsn=db.dsn, duckdb_path=tmp_path / "warehouse.duckdb", home=tmp_path
            )

        yield make


@pytest.fixture
def cli_here(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`cli_run.cli(settings, *args)` run in this process through the console script's entry
    point (`cli_parse.run_cli`), for tests of what a command says and exits with rather than of
    the process; the dlt log level a run sets in the environment is undone after the test."""
    from cli_parse import run_cli
    from cli_run import cli_argv

    # setenv records the variable's state (usually unset) for teardown to put back: a bare
    # delenv of an unset variable records nothing, and the level the CLI sets would stay.
    monkeypatch.setenv("RUNTIME__LOG_LEVEL", "")
    monkeypatch.delenv("RUNTIME__LOG_LEVEL")

    def run(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
        argv = cli_argv(settings, *args)[3:]  # without `python -m adventure_elt`
        code, out, err = run_cli(argv, capsys)
        return subprocess.CompletedProcess(argv, code, out, err)

    return run


@pytest.fixture
def adventureworks_dir() -> Path:
    """The real AdventureWorks CSV files shipped with the project (data/adventureworks/)."""
    return shipped_adventureworks()


@pytest.fixture(scope="session")
def demo_warehouse(
    pg_admin_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """A warehouse the real pipeline built from a small synthetic source (scale 0.02, seed 1),
    plus 600 streamed web events; shared, read-only, by the dashboard and notebook tests."""
    from adventure_elt.oltp import generator
    from adventure_elt.stream.generator import EventGenerator, event_lines

    events = b"".join(event_lines(EventGenerator(seed=1), count=600))
    with pipeline_warehouse(
        pg_admin_dsn,
        tmp_path_factory.mktemp("demo-warehouse"),
        lambda conn: generator.seed(conn, scale=0.02, seed=1),
        events,
    ) as settings:
        yield settings
