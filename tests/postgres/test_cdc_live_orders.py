"""While `adventure-elt cdc start` runs, the dashboard's live orders view shows an order seconds
after its commit, with no `transform` between, and drops it once deleted (soft deletes: flagged
in raw, gone from the view). Read through the dashboard's own path (`fetch_live` on the
semantic layer), polled with a generous bound that only turns a hang into a failure."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import duckdb
import pytest

pytest.importorskip("streamlit", reason="the dashboard extra (streamlit) is not installed")

from adventure_elt.dashboard.data import fetch_live
from adventure_elt.errors import WarehouseError
from adventure_elt.oltp import server
from adventure_elt.oltp.activity import run_activity
from adventure_elt.settings import Settings
from adventure_elt.transform.run import transform
from cdc_helpers import execute
from cdc_stream_helpers import GIVE_UP_SECONDS, running_stream

pytestmark = pytest.mark.postgres


def live_orders(settings: Settings, after: int) -> set[int]:
    """The orders above `after` the live orders view shows, read as the dashboard reads it."""
    give_up = time.monotonic() + GIVE_UP_SECONDS
    while True:
        try:
            found = fetch_live(
                settings,
                ["live_orders"],
                ["orders_live.sales_order_id"],
                where=[f"orders_live.sales_order_id > {after}"],
            )
            return {int(i) for i in found["orders_live_sales_order_id"]}
        except WarehouseError:  # `cdc start` holds the file for a moment while it applies
            assert time.monotonic() < give_up, "the warehouse stayed locked"
            time.sleep(0.1)


def wait_until(settings: Settings, after: int, expected: set[int]) -> None:
    give_up = time.monotonic() + GIVE_UP_SECONDS
    while (shown := live_orders(settings, after)) != expected:
        assert time.monotonic() < give_up, f"the live view shows {shown}, not {expected}"
        time.sleep(0.2)


def source_orders(dsn: str, after: int) -> set[int]:
    with server.connect_to(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "select salesorderid from sales.salesorderheader where salesorderid > %s", (after,)
        )
        return {int(r[0]) for r in cur.fetchall()}


def test_a_new_order_shows_in_the_live_view_while_cdc_start_runs(
    cdc_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADVENTURE_ELT_DELETE_MODE", "soft")
    settings = dataclasses.replace(cdc_env, delete_mode="soft")
    dsn = settings.source_dsn
    assert dsn is not None
    with running_stream(settings):
        pass  # the initial copy
    transform(settings, select="+rpt_orders_live")
    (newest,) = sorted(source_orders(dsn, 0))[-1:]
    assert live_orders(settings, newest) == set()

    stderr = settings.home / "cdc.stderr"
    with stderr.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "adventure_elt", "cdc", "start"],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=dict(os.environ),
        )
    try:
        give_up = time.monotonic() + GIVE_UP_SECONDS
        while "cdc: streaming" not in stderr.read_text():
            assert proc.poll() is None and time.monotonic() < give_up, stderr.read_text()
            time.sleep(0.1)
        run_activity(settings, orders_per_minute=60, duration=timedelta(seconds=3), wait=False)
        placed = source_orders(dsn, newest)
        assert placed  # the activity placed new orders
        wait_until(settings, newest, placed)

        gone = min(placed)
        execute(
            dsn,
            f"delete from sales.salesorderdetail where salesorderid = {gone}",
            f"delete from sales.salesorderheader where salesorderid = {gone}",
        )
        wait_until(settings, newest, placed - {gone})
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(GIVE_UP_SECONDS)
    assert proc.returncode == 0, stderr.read_text()
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        flagged = con.execute(
            "select _is_deleted from raw.sales_salesorderheader where salesorderid = ?", [gone]
        ).fetchall()
    assert flagged == [(True,)]  # soft: still in raw, flagged, and left out of the view
