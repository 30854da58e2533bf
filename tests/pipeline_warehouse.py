"""A warehouse built the way a user builds one: a source filled, the whole pipeline run, then web
events streamed; for the tests that read a finished warehouse (dashboard, notebook)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adventure_elt.settings import Settings
from pg_databases import fresh_database


@contextlib.contextmanager
def pipeline_warehouse(
    admin_dsn: str, home: Path, fill: Callable[[Any], None], events: bytes
) -> Iterator[Settings]:
    """A fresh source database filled by `fill(connection)`, `run()` into a DuckDB file in
    `home`, then `events` (JSON lines) ingested; yields its settings, the source dropped after.

    Args:
        admin_dsn: the embedded PostgreSQL's admin DSN.
        home: the folder for the warehouse, pipeline state and events.
        fill: loads the source (synthetic data or the real CSV files).
        events: web events to stream in once the pipeline has run.
    """
    from adventure_elt.oltp import server
    from adventure_elt.pipeline import run
    from adventure_elt.stream.ingest import ingest_source

    with fresh_database(admin_dsn) as db:
        settings = Settings(source_dsn=db.dsn, duckdb_path=home / "warehouse.duckdb", home=home)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("DLT_DATA_DIR", str(home / "dlt-data"))
            with server.connect(settings) as conn:
                fill(conn)
            assert run(settings).ok
            stream = home / "events.jsonl"
            stream.write_bytes(events)
            ingest_source(settings, stream)
        yield settings
