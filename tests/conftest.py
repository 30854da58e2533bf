"""Shared fixtures: a real embedded PostgreSQL, fresh databases, isolated settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from adventure_elt.oltp import server
from adventure_elt.paths import adventureworks_dir as shipped_adventureworks
from adventure_elt.settings import Settings
from pg_databases import fresh_database
from pipeline_warehouse import pipeline_warehouse

# dlt writes to a system folder as root and phones home unless told otherwise.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")


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
