"""Shared fixtures: a real embedded PostgreSQL, fresh databases, isolated settings."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from adventure_elt.oltp import server
from adventure_elt.settings import Settings

REPO = Path(__file__).resolve().parents[1]
ADVENTUREWORKS = REPO.parent / "shared" / "adventureworks"

# dlt writes to a system folder as root and phones home unless told otherwise.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")


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
    name = f"t_{uuid.uuid4().hex[:12]}"
    with server.connect_to(pg_admin_dsn, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f"create database {name}")
    dsn = pg_admin_dsn.replace("/adventureworks?", f"/{name}?")
    yield Settings(source_dsn=dsn, duckdb_path=tmp_path / "warehouse.duckdb", home=tmp_path)
    with server.connect_to(pg_admin_dsn, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f"drop database if exists {name} with (force)")


@pytest.fixture
def adventureworks_dir() -> Path:
    """The real AdventureWorks CSV files; tests skip when the shared folder is absent."""
    if not (ADVENTUREWORKS / "sales.salesorderheader.csv.gz").is_file():
        pytest.skip(f"real AdventureWorks data not found at {ADVENTUREWORKS}")
    return ADVENTUREWORKS
