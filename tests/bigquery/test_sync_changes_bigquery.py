"""On BigQuery (the emulator): a killed full refresh never shows readers an empty raw table, as
on DuckDB. (A dropped source column and a replaced source, on both engines:
test_drift_scenarios.py, test_source_replaced_scenarios.py.)

The killed sync runs in a forked child process (it inherits the emulator's environment, which a
fresh interpreter would not have: the test patches Google's credentials look-up) and is
SIGKILLed at a phase read from dlt's working folder, as the DuckDB crash tests do.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable

import pytest

from adventure_elt.oltp import generator, server
from adventure_elt.replicate.dlt_setup import PIPELINE_NAME
from adventure_elt.replicate.reconcile import reconcile
from adventure_elt.replicate.sync import sync
from adventure_elt.settings import Settings
from adventure_elt.warehouse import BigQueryWarehouse
from source_orders import delete_first_orders, source_order_counts

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.bigquery,
    pytest.mark.usefixtures("emulator_alter_table_metadata"),
]

ORDER_TABLES = ("sales_salesorderheader", "sales_salesorderdetail")


def order_counts(settings: Settings) -> tuple[int, ...]:
    with BigQueryWarehouse(settings) as wh:
        return tuple(
            int(wh.fetch_all(f"select count(*) from {wh.relation('raw', t)}")[0][0])
            for t in ORDER_TABLES
        )


def unclean(settings: Settings) -> list[str]:
    return [r.table for r in reconcile(settings) if not r.clean]


def completed(settings: Settings, suffix: str = "") -> int:
    root = settings.home / "dlt" / f"{PIPELINE_NAME}_bigquery" / "load" / "normalized"
    return sum(1 for p in root.glob("*/completed_jobs/*") if p.name.endswith(suffix))


class Reader:
    """Polls the raw order tables' counts from a thread while the full refresh runs."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.seen: set[tuple[int, ...]] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.seen.add(order_counts(self.settings))

    def __enter__(self) -> Reader:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def kill_full_refresh_when(settings: Settings, reached: Callable[[], bool]) -> None:
    """Run `sync(full_refresh=True)` in a forked child; SIGKILL it once `reached()`."""
    child = multiprocessing.get_context("fork").Process(
        target=sync, args=(settings,), kwargs={"full_refresh": True}
    )
    child.start()
    try:
        while child.is_alive() and not reached():
            time.sleep(0.01)
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.join(timeout=120)
    assert child.exitcode == -signal.SIGKILL, "the full refresh ended before the kill point"


@pytest.fixture
def synced(bigquery_settings: Settings) -> Settings:
    with server.connect(bigquery_settings) as conn:
        generator.seed(conn, scale=0.02, seed=2)
    sync(bigquery_settings)
    return bigquery_settings


PHASES: dict[str, Callable[[Settings], bool]] = {
    "load into staging": lambda s: completed(s, ".parquet") > 0,
    "between two swaps": lambda s: completed(s, ".sql") > 0,
}


@pytest.mark.serial  # killed at a moment it watches for: run after the rest
@pytest.mark.parametrize("phase", list(PHASES))
def test_a_killed_full_refresh_never_shows_readers_an_empty_table(
    synced: Settings, phase: str
) -> None:
    before = order_counts(synced)
    delete_first_orders(synced, 7)
    after = source_order_counts(synced)

    with Reader(synced) as reader:
        kill_full_refresh_when(synced, lambda: PHASES[phase](synced))
        seen_after_kill = order_counts(synced)

    assert seen_after_kill[0] in (before[0], after[0])
    for counts in reader.seen | {seen_after_kill}:
        assert all(n in (old, new) for n, old, new in zip(counts, before, after, strict=True)), (
            reader.seen
        )
    sync(synced, full_refresh=True)
    assert order_counts(synced) == after
    assert unclean(synced) == []
