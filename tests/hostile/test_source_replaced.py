"""A source replaced behind the sync's back is never synced silently.

`oltp seed`, `load-csv` or a restored backup can leave the source's rows dated before the cursor
the last sync stored; an incremental sync then read nothing and exited 0 while raw kept other
data. Now such a table is left out with one line naming the fix (`sync --full-refresh`), the
other tables are synced, and the full refresh makes raw equal to the source. Deletes, the lag
window and ordinary activity are not mistaken for a replacement. (A reseed at a larger scale,
on both engines: tests/bigquery/test_source_replaced_scenarios.py.)
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from adventure_elt.oltp import generator, server
from adventure_elt.oltp.activity import run_activity
from adventure_elt.replicate.not_synced import TablesNotSyncedError
from adventure_elt.replicate.reconcile import reconcile
from adventure_elt.replicate.sync import sync
from adventure_elt.settings import Settings
from cli_run import one_error_line
from pg_databases import database_dsn, fresh_database
from warehouse_sql import raw_counts

pytestmark = pytest.mark.postgres

ORDERS = ("sales.salesorderheader", "sales.salesorderdetail")


@pytest.fixture
def synced(source_settings: Settings) -> Settings:
    """A small synthetic source, synced, then changed by the shop and synced again: the cursors
    are at the time of the activity, as in a running installation."""
    with server.connect(source_settings) as conn:
        generator.seed(conn, scale=0.02, seed=1)
    sync(source_settings)
    run_activity(source_settings, orders_per_minute=600, duration=timedelta(seconds=5), wait=False)
    sync(source_settings)
    return source_settings


def unclean(settings: Settings) -> list[str]:
    return [r.table for r in reconcile(settings) if not r.clean]


def test_a_reseed_of_the_same_size_with_other_rows_is_refused(synced: Settings) -> None:
    with server.connect(synced) as conn:
        generator.seed(conn, scale=0.02, seed=2)  # same keys, other content, older dates

    with pytest.raises(TablesNotSyncedError) as raised:
        sync(synced)

    failed = {t.table: t for t in raised.value.summary.tables if t.mode == "failed"}
    assert "sales.salesorderheader" in failed
    note = " ".join(failed["sales.salesorderheader"].notes)
    assert "older than the sync cursor" in note and "--full-refresh" in note

    sync(synced, full_refresh=True)

    assert unclean(synced) == []


def test_a_restored_backup_is_refused(
    source_settings: Settings,
    pg_admin_dsn: str,
    cli_here: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    with server.connect(source_settings) as conn:
        generator.seed(conn, scale=0.02, seed=4)
    sync(source_settings)
    assert source_settings.source_dsn is not None
    shop_db = source_settings.source_dsn.split("?")[0].rsplit("/", 1)[1]
    with fresh_database(pg_admin_dsn, shop_db, prefix="backup") as backup:
        run_activity(
            source_settings, orders_per_minute=600, duration=timedelta(seconds=5), wait=False
        )
        sync(source_settings)
        restored = Settings(
            source_dsn=database_dsn(pg_admin_dsn, backup.name),
            duckdb_path=source_settings.duckdb_path,
            home=source_settings.home,
        )

        error = one_error_line(cli_here(restored, "sync"))

        assert "replaced or restored" in error
        assert cli_here(restored, "sync", "--full-refresh").returncode == 0
        assert unclean(restored) == []


def test_real_data_loaded_over_synthetic_data_is_refused(
    synced: Settings,
    adventureworks_dir: Path,
    cli_here: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    assert cli_here(synced, "oltp", "load-csv", str(adventureworks_dir)).returncode == 0

    error = one_error_line(cli_here(synced, "sync"))

    assert "replaced" in error
    assert cli_here(synced, "sync", "--full-refresh").returncode == 0
    assert unclean(synced) == []


def test_deletes_activity_and_the_lag_window_are_not_a_replacement(synced: Settings) -> None:
    with server.connect(synced) as conn, conn.cursor() as cur:
        # the newest order goes: the source's newest row is now older than the cursor
        cur.execute(
            "delete from sales.salesorderheader where salesorderid ="
            " (select salesorderid from sales.salesorderheader"
            "  order by modifieddate desc, salesorderid desc limit 1)"
        )
    sync(synced)
    changes = run_activity(
        synced, orders_per_minute=600, duration=timedelta(seconds=10), seed=9, wait=False
    )
    assert changes.orders_deleted > 0
    sync(synced, lag=timedelta(minutes=5))
    sync(synced, detect_deletes=True)

    assert unclean(synced) == []


@pytest.fixture
def two_sources(pg_admin_dsn: str) -> Iterator[tuple[str, str]]:
    with fresh_database(pg_admin_dsn) as one, fresh_database(pg_admin_dsn) as other:
        yield one.dsn, other.dsn


def test_syncing_another_database_into_the_same_warehouse_is_refused(
    two_sources: tuple[str, str],
    tmp_path: Path,
    cli_here: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    # A mistyped DSN: the warehouse of one shop pointed at another shop's database.
    first, second = (
        Settings(source_dsn=dsn, duckdb_path=tmp_path / "w.duckdb", home=tmp_path)
        for dsn in two_sources
    )
    for settings, seed in ((first, 5), (second, 6)):
        with server.connect(settings) as conn:
            generator.seed(conn, scale=0.03 if seed == 6 else 0.02, seed=seed)
    sync(first)
    before = raw_counts(first)

    error = one_error_line(cli_here(second, "sync"))

    assert "check the source" in error
    assert raw_counts(first)["sales.salesorderheader"] == before["sales.salesorderheader"]
