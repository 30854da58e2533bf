"""Fixtures shared by the PostgreSQL tests of log-based replication."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from adventure_elt.replicate.cdc.stream import cdc_drop
from adventure_elt.settings import Settings
from cdc_stream_helpers import stream_settings
from pg_databases import fresh_database


@pytest.fixture(scope="module")
def small_shop_template(seeded_template: Callable[[float, int], str]) -> str:
    """A database seeded with a small synthetic shop (scale 0.005: ~2,000 rows over the 12
    tables), seeded once; tests copy it with `fresh_database(admin, template)`."""
    return seeded_template(0.005, 4)


@pytest.fixture
def cdc_settings(pg_admin_dsn: str, small_shop_template: str, tmp_path: Path) -> Iterator[Settings]:
    """A fresh copy of the small shop, an empty DuckDB warehouse, and slot and publication names
    no other test uses (slots are server-wide); both are dropped afterwards."""
    with fresh_database(pg_admin_dsn, small_shop_template, prefix="cdc_run") as db:
        settings = stream_settings(db.dsn, tmp_path)
        try:
            yield settings
        finally:
            cdc_drop(settings)


@pytest.fixture
def cdc_env(cdc_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """`cdc_settings`, in the environment the commands read their settings from."""
    for name, value in {
        "ADVENTURE_ELT_SOURCE_DSN": str(cdc_settings.source_dsn),
        "ADVENTURE_ELT_DUCKDB_PATH": str(cdc_settings.duckdb_path),
        "ADVENTURE_ELT_HOME": str(cdc_settings.home),
        "ADVENTURE_ELT_CDC_SLOT": cdc_settings.cdc_slot,
        "ADVENTURE_ELT_CDC_PUBLICATION": cdc_settings.cdc_publication,
    }.items():
        monkeypatch.setenv(name, value)
    return cdc_settings
