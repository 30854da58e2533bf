"""On BigQuery (the emulator): a killed full refresh never shows readers an empty raw table, a
dropped source column stops only its table, and a replaced source is refused — as on DuckDB.

The killed sync runs in a forked child process (it inherits the emulator's environment, which a
fresh interpreter would not have: the test patches Google's credentials look-up) and is
SIGKILLed at a phase read from dlt's working folder, as the DuckDB crash tests do.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from adventure_elt.oltp import generator, server
from adventure_elt.replicate.dlt_setup import PIPELINE_NAME
from adventure_elt.replicate.drift import SchemaChangeError
from adventure_elt.replicate.not_synced import TablesNotSyncedError
from adventure_elt.replicate.reconcile import reconcile
from adventure_elt.replicate.sync import sync
from adventure_elt.settings import Settings
from adventure_elt.warehouse import BigQueryWarehouse
from source_orders import delete_first_orders, source_order_counts

pytestmark = [pytest.mark.postgres, pytest.mark.bigquery]

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


_DROP_COLUMN = re.compile(r"alter table `(?P<table>[^`]+)` drop column `(?P<column>\w+)`", re.I)


@pytest.fixture(autouse=True)
def emulator_forgets_dropped_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Quirk: the emulator runs `ALTER TABLE … DROP COLUMN` on its storage but keeps the column
    in the table's metadata (`tables.get`); real BigQuery updates both. Patch the metadata after
    such a statement, as BigQuery would have."""
    original = BigQueryWarehouse.execute

    def execute(self: BigQueryWarehouse, sql: str, params: list[Any] | None = None) -> None:
        original(self, sql, params)
        dropped = _DROP_COLUMN.match(sql.strip())
        if dropped is not None:
            table = self.client.get_table(dropped["table"])
            table.schema = [f for f in table.schema if f.name != dropped["column"]]
            self.client.update_table(table, ["schema"])

    monkeypatch.setattr(BigQueryWarehouse, "execute", execute)


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


def test_a_dropped_column_stops_only_its_table_until_a_full_refresh(synced: Settings) -> None:
    with server.connect(synced) as conn, conn.cursor() as cur:
        cur.execute(
            "alter table person.person drop column title;"
            " update sales.customer set territoryid = 9, modifieddate = now()"
            " where customerid = (select min(customerid) from sales.customer)"
        )

    with pytest.raises(SchemaChangeError, match="'title'"):
        sync(synced)

    flagged = {r.table: r for r in reconcile(synced) if not r.clean}
    assert list(flagged) == ["person.person"] and flagged["person.person"].dropped_columns
    refreshed = sync(synced, tables="person.person", full_refresh=True)
    assert any("dropped" in n for n in refreshed.tables[0].notes)
    with BigQueryWarehouse(synced) as wh:
        assert "title" not in wh.column_types("raw", "person_person")
    assert unclean(synced) == []


def test_a_reseeded_source_is_refused_until_a_full_refresh(synced: Settings) -> None:
    with server.connect(synced) as conn:
        generator.seed(conn, scale=0.04, seed=3)

    with pytest.raises(TablesNotSyncedError) as raised:
        sync(synced)

    failed: dict[str, Any] = {t.table: t for t in raised.value.summary.tables if t.mode == "failed"}
    assert "sales.salesorderheader" in failed
    sync(synced, full_refresh=True)
    assert unclean(synced) == []
