"""The real AdventureWorks data on BigQuery (the emulator): same report as DuckDB, and the dry run.

Slow (the whole database through both warehouses), so marked e2e; skipped without the data.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from bq_helpers import PROJECT, emulator_environment, unique_prefix

from adventure_elt.oltp import server
from adventure_elt.oltp.loader import load_csv
from adventure_elt.replicate.reconcile import reconcile
from adventure_elt.replicate.sync import sync
from adventure_elt.report import report
from adventure_elt.settings import Settings
from adventure_elt.transform import run_checks, transform
from cli_parse import run_cli
from pg_databases import fresh_database

pytestmark = [pytest.mark.postgres, pytest.mark.bigquery, pytest.mark.e2e]


@pytest.fixture
def source_dsn(pg_admin_dsn: str) -> Iterator[str]:
    """A new empty source database, dropped after the test."""
    with fresh_database(pg_admin_dsn) as db:
        yield db.dsn


def test_real_data_report_from_bigquery_equals_duckdb(
    adventureworks_dir: Path,
    bq_emulator: str,
    source_dsn: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dsn = source_dsn
    prefix = unique_prefix()
    emulator_environment(monkeypatch, bq_emulator, prefix)
    local = Settings(source_dsn=dsn, duckdb_path=tmp_path / "w.duckdb", home=tmp_path / "duck")
    cloud = dataclasses.replace(
        local,
        warehouse="bigquery",
        home=tmp_path / "bq",
        bigquery_project=PROJECT,
        bigquery_dataset_prefix=prefix,
    )
    with server.connect(local) as conn:
        load_csv(conn, adventureworks_dir)
    for settings in (local, cloud):
        sync(settings)
        transform(settings)

    assert [r.table for r in reconcile(cloud) if not r.clean] == []
    assert [r.name for r in run_checks(cloud).failed] == []
    bigquery_answers = {k: v for k, v in report(cloud).items() if k not in ("as_of", "warehouse")}
    duckdb_answers = {k: v for k, v in report(local).items() if k not in ("as_of", "warehouse")}
    assert bigquery_answers == duckdb_answers

    monkeypatch.setenv("ADVENTURE_ELT_SOURCE_DSN", dsn)
    code, out, _ = run_cli(["transform", "--dry-run", "--warehouse", "bigquery", "--json"], capsys)
    assert code == 0
    plan = json.loads(out)
    assert plan["unknown"] == []
    print("dry run at real size:", plan["total_bytes"], "bytes")
