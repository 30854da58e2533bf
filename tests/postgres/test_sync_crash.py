"""Crash safety: a sync killed with SIGKILL in extract, normalize or load loses and duplicates
nothing; the next sync finishes the interrupted work, then syncs what changed since.

A killed `sync --full-refresh` never leaves readers an empty raw table: the new rows are loaded
beside the old ones (dlt's staging dataset) and swapped in by one transaction per table, so a
reader sees the old rows or the new ones.

The sync runs as `python -m adventure_elt sync` in a subprocess. Its phase is read from what it
leaves on disk, no hooks in the code: a finished table's progress line on stderr (extract), the
extracted load package in dlt's working folder (normalize), and the first completed job of the
normalized package (load). The test checks after the kill that the phase really was interrupted,
so a kill that came too late fails loudly instead of passing for nothing.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable

import duckdb
import pytest

from adventure_elt.oltp import server
from adventure_elt.progress import ProgressEvent
from adventure_elt.replicate.dlt_setup import PIPELINE_NAME
from adventure_elt.replicate.reconcile import reconcile
from adventure_elt.replicate.sync import sync
from adventure_elt.settings import Settings
from cli_run import cli_argv
from source_orders import delete_first_orders, source_order_counts

pytestmark = [pytest.mark.postgres, pytest.mark.serial]

# Big enough that each phase lasts a few hundred milliseconds (about 110k rows in all).
SCALE = 0.5


@pytest.fixture
def shop(seeded_source: Callable[[float, int], Settings]) -> Settings:
    """A fresh copy of the seeded source (seeded once), and an empty warehouse."""
    return seeded_source(SCALE, 1)


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


def signal_sync_when(
    settings: Settings, phase_reached: Callable[[str], bool], signum: int, *options: str
) -> tuple[int, str]:
    """Start `sync` (with `options`) in a subprocess, send it `signum` once
    `phase_reached(stderr)`; return its exit code and stderr."""
    assert settings.source_dsn is not None
    stderr = settings.home / "sync.stderr"
    with stderr.open("w") as err:
        proc = subprocess.Popen(
            cli_argv(settings, "sync", *options),
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        try:
            # Poll, not sleep: the signal must land inside a phase that lasts a fraction of a
            # second.
            while proc.poll() is None and not phase_reached(stderr.read_text()):
                time.sleep(0.002)
            proc.send_signal(signum)
        finally:
            proc.wait(timeout=60)
    return proc.returncode, stderr.read_text()


def kill_sync_when(settings: Settings, phase_reached: Callable[[str], bool], *options: str) -> str:
    """SIGKILL `sync` (with `options`) once `phase_reached(stderr)`; return stderr."""
    code, stderr = signal_sync_when(settings, phase_reached, signal.SIGKILL, *options)
    assert code == -signal.SIGKILL, (
        f"sync ended by itself (exit {code}) before the phase to kill was reached:\n{stderr}"
    )
    return stderr


def kill_sync_right_after_extract(settings: Settings, *options: str) -> str:
    """SIGKILL `sync` once its extracted load package is committed, before dlt saves the
    pipeline's state and schema; return stderr."""
    return kill_sync_when(
        settings, lambda _: bool(packages(settings, "normalize/extracted")), *options
    )


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
    # dlt extracts into a temporary folder of its own and never looks at it again
    leftovers = [p for p in packages(shop, "normalize") if re.fullmatch("[0-9a-f]{16}", p)]
    assert leftovers
    change_source(shop)

    resync_and_check(shop)

    assert not any(p in leftovers for p in packages(shop, "normalize"))


def test_ctrl_c_during_extract_exits_130_and_loses_nothing(shop: Settings) -> None:
    # dlt wraps the KeyboardInterrupt in its own step error: it must still read as an abort.
    code, stderr = signal_sync_when(shop, lambda err: "sync person.address:" in err, signal.SIGINT)

    assert "sync sales.salesorderdetail:" not in stderr
    assert code == 130, stderr  # (it was 2, "error: sync failed: StopIteration")
    assert "Traceback" not in stderr, stderr
    assert [line for line in stderr.splitlines() if "error:" in line] == [
        "error: interrupted by SIGINT"
    ], stderr
    change_source(shop)

    resync_and_check(shop)


def test_kill_right_after_extract_commits_loses_nothing(shop: Settings) -> None:
    # The package is committed before dlt saves the pipeline state and schema: a kill in between
    # leaves a package the next run can neither load nor skip unless sync drops it.
    kill_sync_right_after_extract(shop)

    assert packages(shop, "normalize/extracted")
    change_source(shop)

    events = resync_and_check(shop)

    assert any(e.task == "resume" for e in events)


def test_an_incremental_killed_right_after_extract_after_a_full_refresh_loses_nothing(
    shop: Settings,
) -> None:
    # The stored schema still says `replace` (the full refresh's) when the kill comes before
    # dlt saves the incremental's; the package's own schema says `merge`. Loaded as a replace,
    # the package's 10 changed orders were all raw kept of the table.
    sync(shop)
    sync(shop, full_refresh=True)
    change_source(shop)
    kill_sync_right_after_extract(shop)
    assert packages(shop, "normalize/extracted")

    events = resync_and_check(shop)

    assert any(e.task == "resume" for e in events)


def test_a_full_refresh_killed_right_after_extract_is_finished_as_a_full_refresh(
    shop: Settings,
) -> None:
    # The other way round: the saved schema is the sync's before, the package's says `replace`.
    # Finished as a merge, the orders deleted in the source stayed in raw.
    sync(shop)
    delete_first_orders(shop, 7)
    kill_sync_right_after_extract(shop, "--full-refresh")
    assert packages(shop, "normalize/extracted")

    sync(shop)  # the next scheduled run, a plain one

    assert order_counts(shop) == source_order_counts(shop)
    assert [r.table for r in reconcile(shop) if not r.clean] == []
    assert sync(shop).rows_written == 0


def test_a_save_torn_by_the_kill_does_not_stop_the_next_sync(shop: Settings) -> None:
    # dlt writes a file as a temporary one, then renames it; killed in between, the temporary
    # file stays, and in `schemas/` dlt takes it for a schema (seen once in a CI run).
    kill_sync_right_after_extract(shop)
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


ORDER_TABLES = ("sales_salesorderheader", "sales_salesorderdetail")


class RawReader:
    """A reader polling the raw order tables' row counts from its own thread, as the dashboard
    or `report` would: each look opens the file read-only (waiting while the sync holds it)."""

    def __init__(self, settings: Settings) -> None:
        self.path = str(settings.duckdb_path)
        self.seen: set[tuple[int, ...]] = set()
        self.errors: set[str] = set()
        self.looks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        # a short pause between looks leaves the test's thread time to watch for the kill point
        while not self._stop.wait(0.003):
            try:
                with duckdb.connect(self.path, read_only=True) as con:
                    counts = tuple(
                        con.execute(f"select count(*) from raw.{t}").fetchall()[0][0]
                        for t in ORDER_TABLES
                    )
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():  # (else the sync holds the file right now)
                    self.errors.add(str(exc).splitlines()[0])
                continue
            except duckdb.Error as exc:  # e.g. a missing table
                self.errors.add(str(exc).splitlines()[0])
                self.looks += 1
                continue
            self.seen.add(counts)
            self.looks += 1

    def __enter__(self) -> RawReader:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def order_counts(settings: Settings) -> tuple[int, ...]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        return tuple(
            con.execute(f"select count(*) from raw.{t}").fetchall()[0][0] for t in ORDER_TABLES
        )


def swapped_tables(settings: Settings) -> int:
    """Completed swap jobs (the SQL that moves a table's new rows from staging into raw)."""
    root = settings.home / "dlt" / PIPELINE_NAME / "load" / "normalized"
    return sum(1 for p in root.glob("*/completed_jobs/*") if p.name.endswith(".sql"))


FULL_REFRESH_PHASES: dict[str, Callable[[Settings], Callable[[str], bool]]] = {
    "extract": lambda s: lambda err: "sync person.address:" in err,
    "normalize": lambda s: lambda _: bool(packages(s, "load/new")),
    "load into staging": lambda s: lambda _: completed_jobs(s) > 0,
    "between two swaps": lambda s: lambda _: swapped_tables(s) > 0,
}


@pytest.mark.parametrize("phase", list(FULL_REFRESH_PHASES))
def test_a_killed_full_refresh_never_shows_readers_an_empty_table(
    shop: Settings, phase: str
) -> None:
    sync(shop)
    before = order_counts(shop)
    delete_first_orders(shop, 7)

    with RawReader(shop) as reader:
        kill_sync_when(shop, FULL_REFRESH_PHASES[phase](shop), "--full-refresh")
        seen_during_the_sync = reader.looks
        while reader.looks < seen_during_the_sync + 3:  # and a few looks after the kill
            time.sleep(0.01)

    assert reader.looks > 3 and reader.errors == set()
    after = source_order_counts(shop)
    assert after[0] == before[0] - 7
    for counts in reader.seen:
        assert all(n in (old, new) for n, old, new in zip(counts, before, after, strict=True)), (
            reader.seen
        )

    sync(shop, full_refresh=True)

    assert order_counts(shop) == after
    assert [r.table for r in reconcile(shop) if not r.clean] == []
    assert sync(shop).rows_written == 0
