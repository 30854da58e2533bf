"""Crash safety of `cdc start`: a SIGKILL during the initial copy or while changes stream loses
and duplicates nothing; the next start resumes from the slot and `reconcile` is clean.

`cdc start` runs as `python -m adventure_elt cdc start` in a subprocess. Its phase is read from
what it leaves behind, no hooks in the code: the slot in `pg_replication_slots` without a copy
recorded in raw (copying), its `cdc: streaming` line and its per-batch lines on stderr. Each test
checks the phase really was reached before the kill, so a kill that came too late fails loudly.

A kill between the warehouse's commit and the acknowledgement is also made deterministic in
process: a batch applied but not acknowledged is delivered again and must change nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator

import duckdb
import pytest

from adventure_elt.oltp import server
from adventure_elt.replicate.cdc import ChangeReader, parse_lsn, slot_status
from adventure_elt.replicate.cdc.apply import RawApplier, read_state
from adventure_elt.settings import Settings
from adventure_elt.warehouse import open_warehouse
from cdc_helpers import execute, give_up_later
from cdc_stream_helpers import GIVE_UP_SECONDS, assert_reconciled, running_stream
from cli_run import cli_argv

pytestmark = [pytest.mark.postgres, pytest.mark.serial]

CARD_SQL = "insert into sales.creditcard values (%s, 'Vista', %s, 5, 2030, '2024-01-01 10:00')"


def kill_cdc_when(cdc_settings: Settings, reached: Callable[[str], bool]) -> str:
    """Start `cdc start` in a subprocess, SIGKILL it once `reached(stderr)`; return stderr."""
    assert cdc_settings.source_dsn is not None
    stderr = cdc_settings.home / "cdc.stderr"
    env = {
        **os.environ,
        "ADVENTURE_ELT_CDC_SLOT": cdc_settings.cdc_slot,
        "ADVENTURE_ELT_CDC_PUBLICATION": cdc_settings.cdc_publication,
    }
    with stderr.open("w") as err:
        proc = subprocess.Popen(
            cli_argv(cdc_settings, "cdc", "start", "--max-wait", "100ms"),
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
        )
        try:
            give_up = time.monotonic() + GIVE_UP_SECONDS
            while proc.poll() is None and not reached(stderr.read_text()):
                assert time.monotonic() < give_up, stderr.read_text()
                time.sleep(0.002)
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, (
        f"cdc start ended by itself (exit {proc.returncode}) before the kill:\n"
        + stderr.read_text()
    )
    return stderr.read_text()


def slot_exists(cdc_settings: Settings) -> bool:
    assert cdc_settings.source_dsn is not None
    with server.connect_to(cdc_settings.source_dsn) as conn:
        return slot_status(conn, cdc_settings.cdc_slot) is not None


def recorded(cdc_settings: Settings) -> bool:
    if not cdc_settings.duckdb_path.exists():
        return False
    with open_warehouse(cdc_settings, read_only=True) as warehouse:
        return read_state(warehouse, cdc_settings.cdc_slot) is not None


@pytest.fixture
def writer(cdc_settings: Settings) -> Iterator[Callable[[], int]]:
    """Changes the source in a thread (insert, update, delete of cards; a key update of an
    order line) until stopped; stopping returns the position of its last commit."""
    dsn = cdc_settings.source_dsn
    assert dsn is not None
    stop = threading.Event()
    last = [0]

    def write() -> None:
        number = 20_000
        while not stop.is_set():
            number += 1
            last[0] = execute(
                dsn,
                (CARD_SQL, (number, f"{number}-1")),
                f"update sales.creditcard set expmonth = {number % 12 + 1}"
                f" where creditcardid = {number - 1}",
                f"delete from sales.creditcard where creditcardid = {number - 3}",
                "update sales.salesorderdetail set salesorderdetailid = salesorderdetailid + 100000"
                " where (salesorderid, salesorderdetailid) ="
                " (select salesorderid, salesorderdetailid from sales.salesorderdetail"
                " order by salesorderdetailid limit 1)",
            )

    thread = threading.Thread(target=write, daemon=True)

    def stop_writing() -> int:
        stop.set()
        thread.join(60)
        return last[0]

    thread.start()
    yield stop_writing
    stop.set()


def resume_and_check(cdc_settings: Settings, lsn: int) -> None:
    """Start again in-process; everything up to `lsn` (and one change more) lands, reconciled."""
    dsn = cdc_settings.source_dsn
    assert dsn is not None
    with running_stream(cdc_settings) as running:
        running.wait_for(max(lsn, execute(dsn, (CARD_SQL, (29_999, "after the crash")))))
    assert_reconciled(cdc_settings)
    with duckdb.connect(str(cdc_settings.duckdb_path), read_only=True) as con:
        after = con.execute(
            "select count(*) from raw.sales_creditcard where cardnumber = 'after the crash'"
        ).fetchall()
    assert after == [(1,)]


def test_kill_during_the_initial_copy_copies_again(cdc_settings: Settings) -> None:
    kill_cdc_when(cdc_settings, lambda _: slot_exists(cdc_settings))

    assert not recorded(cdc_settings)  # the copy never finished
    dsn = cdc_settings.source_dsn
    assert dsn is not None
    lsn = execute(dsn, (CARD_SQL, (29_001, "during the copy")))

    resume_and_check(cdc_settings, lsn)


@pytest.mark.parametrize("batches", [1, 4])
def test_kill_while_streaming_loses_nothing(
    cdc_settings: Settings, writer: Callable[[], int], batches: int
) -> None:
    stderr = kill_cdc_when(cdc_settings, lambda err: err.count("cdc: applied up to") >= batches)
    last = writer()

    assert "cdc: streaming" in stderr
    resume_and_check(cdc_settings, last)


def test_a_batch_applied_but_not_acknowledged_is_applied_once(cdc_settings: Settings) -> None:
    dsn = cdc_settings.source_dsn
    assert dsn is not None
    with running_stream(cdc_settings) as running:
        running.wait_for(execute(dsn, (CARD_SQL, (29_101, "first"))))
    execute(dsn, "update sales.creditcard set expmonth = 11 where creditcardid = 29101")
    lsn = execute(dsn, (CARD_SQL, (29_102, "second")))
    # what a kill right after the warehouse's commit leaves: applied, never acknowledged
    with ChangeReader(
        dsn, cdc_settings.cdc_slot, cdc_settings.cdc_publication, max_seconds=0.2
    ) as reader:
        with give_up_later(reader):
            batch = next(iter(reader.batches()))
        with open_warehouse(cdc_settings) as warehouse:
            RawApplier(warehouse, cdc_settings.cdc_slot).apply(batch)
    assert batch.end_lsn > lsn
    with running_stream(cdc_settings) as running:
        running.wait_for(execute(dsn, (CARD_SQL, (29_103, "third"))))
    summary = running.result
    assert summary is not None
    # the re-delivered transactions were skipped: only the third insert counted
    assert summary.tables["sales.creditcard"].inserted == 1
    assert summary.tables["sales.creditcard"].updated == 0
    assert_reconciled(cdc_settings)
    with server.connect_to(dsn) as conn:
        status = slot_status(conn, cdc_settings.cdc_slot)
    assert status is not None and status.confirmed_flush_lsn is not None
    assert parse_lsn(status.confirmed_flush_lsn) > lsn
