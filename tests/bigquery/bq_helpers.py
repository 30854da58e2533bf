"""Helpers of the `bigquery` tests: the emulator's environment and running the CLI in-process."""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adventure_elt.settings import Settings
from pg_databases import fresh_database

PROJECT = "emulated-project"

# The engines every shared scenario runs on (the `engine` and `engine_settings` fixtures); the
# BigQuery case carries the `bigquery` marker, as dlt's `destinations_configs` does. A third
# engine adds one `pytest.param` here.
ENGINE_CASES = [
    pytest.param("duckdb", id="duckdb"),
    pytest.param("bigquery", id="bigquery", marks=pytest.mark.bigquery),
]


def anonymous_credentials(*_: Any, **__: Any) -> tuple[Any, None]:
    """What `google.auth.default` returns on the emulator: no credentials, no project."""
    from google.auth.credentials import AnonymousCredentials

    return AnonymousCredentials(), None


def emulator_environment(monkeypatch: pytest.MonkeyPatch, endpoint: str, prefix: str) -> None:
    """Point every BigQuery client (ours and dlt's) at the emulator, the way a user would."""
    import google.auth

    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", endpoint)
    monkeypatch.setenv("ADVENTURE_ELT_BIGQUERY_PROJECT", PROJECT)
    monkeypatch.setenv("ADVENTURE_ELT_BIGQUERY_DATASET_PREFIX", prefix)
    # quirk: the emulator rejects dlt's gzip-compressed load files
    monkeypatch.setenv("NORMALIZE__DATA_WRITER__DISABLE_COMPRESSION", "true")
    # quirk: the emulator checks no credentials and there is no Google account here
    monkeypatch.setattr(google.auth, "default", anonymous_credentials)
    # dlt's BigQuery load job sleeps 1 s before each look at the job's state; the emulator's
    # load jobs are done at once, so look every 50 ms (still every job, still to its end)
    from dlt.common.runtime import signals
    from dlt.destinations.impl.bigquery import bigquery as dlt_bigquery

    monkeypatch.setattr(dlt_bigquery, "sleep", lambda seconds: signals.sleep(min(seconds, 0.05)))


def unique_prefix() -> str:
    """A dataset prefix of its own per test (quirk: the emulator wants lower case)."""
    return f"t{uuid.uuid4().hex[:10]}"


@contextlib.contextmanager
def both_engines(
    endpoint: str, pg_admin_dsn: str, home: Path, *, scale: float, seed: int
) -> Iterator[tuple[Settings, Settings]]:
    """(DuckDB, BigQuery) settings, both synced and transformed from one new synthetic source
    database; the emulator's environment is set while the block runs."""
    from adventure_elt.oltp import generator, server
    from adventure_elt.replicate.sync import sync
    from adventure_elt.transform import transform

    with fresh_database(pg_admin_dsn) as db:
        prefix = unique_prefix()
        local = Settings(
            source_dsn=db.dsn, duckdb_path=home / "warehouse.duckdb", home=home / "duck"
        )
        cloud = dataclasses.replace(
            local,
            warehouse="bigquery",
            home=home / "bq",
            bigquery_project=PROJECT,
            bigquery_dataset_prefix=prefix,
        )
        with pytest.MonkeyPatch.context() as mp:
            emulator_environment(mp, endpoint, prefix)
            mp.setenv("DLT_DATA_DIR", str(home / "dlt-data"))
            with server.connect(local) as conn:
                generator.seed(conn, scale=scale, seed=seed)
            for settings in (local, cloud):
                sync(settings)
                transform(settings)
            yield local, cloud
