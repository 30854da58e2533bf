"""Crash safety: a sync killed with SIGKILL in extract, normalize or load loses and duplicates
nothing; the next sync finishes the interrupted work, then syncs what changed since.

The sync runs as `python -m adventure_elt sync` in a subprocess. Its phase is read from what it
leaves on disk, no hooks in the code: a finished table's progress line on stderr (extract), the
extracted load package in dlt's working folder (normalize), and the first completed job of the
normalized package (load). The test checks after the kill that the phase really was interrupted,
so a kill that came too late fails loudly instead of passing for nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from adventure_elt.oltp import generator, server
from adventure_elt.progress import ProgressEvent
from adventure_elt.replicate.pipeline import PIPELINE_NAME, sync
from adventure_elt.replicate.reconcile import reconcile
from adventure_elt.settings import Settings
from pg_databases import fresh_database

pytestmark = pytest.mark.postgres

# Big enough that each phase lasts a few hundred milliseconds (about 110k rows in all).
SCALE = 0.5


@pytest.fixture(scope="module")
def template(pg_admin_dsn: str) -> Iterator[str]:
    """A seeded database that each test copies (`create database … template`), seeded once."""
    with fresh_database(pg_admin_dsn, prefix="crash_template") as db:
        with server.connect_to(db.dsn) as conn:
            generator.seed(conn, scale=SCALE, seed=1)
        yield db.name


@pytest.fixture
def shop(pg_admin_dsn: str, template: str, tmp_path: Path) -> Iterator[Settings]:
    """A fresh copy of the seeded source, and an empty warehouse."""
    with fresh_database(pg_admin_dsn, template, prefix="crash") as db:
        yield Settings(source_dsn=db.dsn, duckdb_path=tmp_path / "warehouse.duckdb", home=tmp_path)


def packages(settings: Settings, folder: str) -> list[str]:
    """Load packages (folders) in one of dlt's working folders (`normalize/extracted`, …).

    Files there are not packages: a kill inside dlt's atomic save can leave its empty temporary
    file (`FileStorage.save_atomic`), which dlt ignores.
    """
    path = settings.home / "dlt" / PIPELINE_NAME / folder
    return sorted(p.name for p in path.iterdir() if p.is_dir()) if path.is_dir() else []


def completed_jobs(settings: Settings) -> int:
    root = settings.home / "dlt" / PIPELINE_NAME / "load" / "normalized"
    return sum(len(os.listdir(p / "completed_jobs")) for p in root.glob("*/") if p.is_dir())


def kill_sync_when(settings: Settings, phase_reached: Callable[[str], bool]) -> str:
    """Start `sync` in a subprocess, SIGKILL it once `phase_reached(stderr)`; return stderr."""
    assert settings.source_dsn is not None
    stderr = settings.home / "sync.stderr"
    with stderr.open("w") as err:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "adventure_elt",
                "--source-dsn",
                settings.source_dsn,
                "--duckdb-path",
                str(settings.duckdb_path),
                "--home",
                str(settings.home),
                "sync",
            ],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        try:
            # Poll, not sleep: the kill must land inside a phase that lasts a fraction of a second.
            while proc.poll() is None and not phase_reached(stderr.read_text()):
                time.sleep(0.002)
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, (
        f"sync ended by itself (exit {proc.returncode}) before the phase to kill was reached:\n"
        + stderr.read_text()
    )
    return stderr.read_text()


def change_source(settings: Settings) -> None:
    """Changes made after the crash: the next sync must carry them as well as the lost work."""
    with server.connect(settings) as conn, conn.cursor() as cur:
        cur.execute(
            "update sales.salesorderheader set status = 6, comment = 'after the crash',"
            " modifieddate = now() where salesorderid in"
            " (select salesorderid from sales.salesorderheader order by salesorderid limit 10)"
        )


def resync_and_check(settings: Settings) -> list[ProgressEvent]:
    """Sync in-process after the crash; raw must equal the source, row for row."""
    events: list[ProgressEvent] = []
    sync(settings, progress=events.append)

    problems = [f"{r.table}: {r.describe()}" for r in reconcile(settings) if not r.clean]
    assert problems == []
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        rows = con.execute(
            "select count(*) from raw.sales_salesorderheader where comment = 'after the crash'"
        ).fetchall()
    assert rows == [(10,)]
    assert sync(settings).rows_written == 0
    return events


def test_kill_during_extract_loses_nothing(shop: Settings) -> None:
    # Tables are extracted one after another; the address line means later ones are underway.
    stderr = kill_sync_when(shop, lambda err: "sync person.address:" in err)

    assert "sync sales.salesorderdetail:" not in stderr
    assert packages(shop, "normalize/extracted") == []
    assert packages(shop, "load/loaded") == []
    change_source(shop)

    resync_and_check(shop)


def test_kill_right_after_extract_commits_loses_nothing(shop: Settings) -> None:
    # The package is committed before dlt saves the pipeline state and schema: a kill in between
    # leaves a package the next run can neither load nor skip unless sync drops it.
    kill_sync_when(shop, lambda _: bool(packages(shop, "normalize/extracted")))

    assert packages(shop, "normalize/extracted")
    change_source(shop)

    events = resync_and_check(shop)

    assert any(e.task == "resume" for e in events)


def test_a_save_torn_by_the_kill_does_not_stop_the_next_sync(shop: Settings) -> None:
    # dlt writes a file as a temporary one, then renames it; killed in between, the temporary
    # file stays, and in `schemas/` dlt takes it for a schema (seen once in a CI run).
    kill_sync_when(shop, lambda _: bool(packages(shop, "normalize/extracted")))
    torn = shop.home / "dlt" / PIPELINE_NAME / "schemas" / "9ce4d53075ef53bc"
    torn.parent.mkdir(parents=True, exist_ok=True)
    torn.touch()
    change_source(shop)

    resync_and_check(shop)

    assert not torn.exists()


def test_kill_during_normalize_loses_nothing(shop: Settings) -> None:
    # Normalize writes the package into load/new, then moves it to load/normalized.
    kill_sync_when(shop, lambda _: bool(packages(shop, "load/new")))

    assert packages(shop, "load/loaded") == []
    assert packages(shop, "normalize/extracted") or packages(shop, "load/new")
    change_source(shop)

    events = resync_and_check(shop)

    assert any(e.task == "resume" for e in events)


def test_kill_during_load_loses_nothing_and_duplicates_nothing(shop: Settings) -> None:
    # Some tables are in the warehouse (staging), the merge into raw is not finished.
    kill_sync_when(shop, lambda _: completed_jobs(shop) > 0)

    assert packages(shop, "load/loaded") == []
    assert packages(shop, "load/normalized")
    change_source(shop)

    events = resync_and_check(shop)

    assert any(e.task == "resume" for e in events)
    assert packages(shop, "load/normalized") == []
