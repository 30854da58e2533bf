"""Property: whatever inserts, updates and deletes happen between syncs, raw equals the source.

Hypothesis draws short histories of changes to `sales.salesorderdetail` (a leaf table with a
composite key) interleaved with syncs (`detect_deletes`, lag 5 minutes). Every row starts with
the same `modifieddate`, and a change either shares the current timestamp or moves the clock on
by ten minutes, so many rows share one `modifieddate` and the cursor lands on them. An update that
keeps a row's old `modifieddate` is only drawn when the lag window still covers that row: outside
it no cursor-based sync can see it, by design.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adventure_elt.oltp import generator, server
from adventure_elt.replicate.reconcile import reconcile
from adventure_elt.replicate.sync import sync
from adventure_elt.settings import Settings
from pg_databases import fresh_database

pytestmark = pytest.mark.postgres

TABLE = "sales.salesorderdetail"
LAG = timedelta(minutes=5)
START = datetime(2024, 1, 1, 12, 0, 0)

Step = tuple[str, int, bool]
steps = st.lists(
    st.tuples(
        st.sampled_from(["insert", "update", "keep-date update", "delete", "sync"]),
        st.integers(min_value=0, max_value=10_000),  # which row (modulo the row count)
        st.booleans(),  # move the clock on by ten minutes first
    ),
    min_size=1,
    max_size=10,
)


@pytest.fixture(scope="module")
def template(pg_admin_dsn: str) -> Iterator[str]:
    """A small seeded database, every detail row at START; examples copy it."""
    with fresh_database(pg_admin_dsn, prefix="prop_template") as db:
        with server.connect_to(db.dsn) as conn:
            generator.seed(conn, scale=0.005, seed=4)
            with conn.cursor() as cur:
                cur.execute(f"update {TABLE} set modifieddate = %s", (START,))
        yield db.name


class Shop:
    """One example's source copy and warehouse, and the model of the sync cursor."""

    def __init__(self, source_dsn: str, home: Path) -> None:
        home.mkdir(parents=True)
        self.settings = Settings(
            source_dsn=source_dsn,
            duckdb_path=home / "warehouse.duckdb",
            home=home,
        )
        self.clock = START
        self.cursor: datetime | None = None

    def apply(self, kind: str, pick: int, tick: bool) -> None:
        if tick:
            self.clock += timedelta(minutes=10)
        with server.connect(self.settings) as conn, conn.cursor() as cur:
            cur.execute(
                f"select salesorderid, salesorderdetailid, modifieddate from {TABLE}"
                " order by 1, 2 offset %s limit 1",
                (pick,),
            )
            row = cur.fetchone()
            cur.execute(f"select count(*) from {TABLE}")
            count = cur.fetchone()[0]  # type: ignore[index]
            if count and row is None:
                cur.execute(
                    f"select salesorderid, salesorderdetailid, modifieddate from {TABLE}"
                    " order by 1, 2 offset %s limit 1",
                    (pick % count,),
                )
                row = cur.fetchone()
            if row is None:
                return
            order, line, modified = row
            if kind == "keep-date update" and not self._lag_covers(modified):
                kind = "update"  # the lag window no longer covers it: a normal update instead
            if kind == "insert":
                cur.execute(
                    f"insert into {TABLE} (salesorderid, salesorderdetailid, carriertrackingnumber,"
                    " orderqty, productid, specialofferid, unitprice, unitpricediscount,"
                    " modifieddate)"
                    f" select salesorderid, (select max(salesorderdetailid) + 1 from {TABLE}),"
                    " 'NEW-' || salesorderdetailid, orderqty, productid, specialofferid,"
                    f" unitprice, unitpricediscount, %s from {TABLE}"
                    " where salesorderid = %s and salesorderdetailid = %s",
                    (self.clock, order, line),
                )
            elif kind == "update":
                cur.execute(
                    f"update {TABLE} set orderqty = orderqty + 1, modifieddate = %s"
                    " where salesorderid = %s and salesorderdetailid = %s",
                    (self.clock, order, line),
                )
            elif kind == "keep-date update":
                cur.execute(
                    f"update {TABLE} set unitprice = unitprice + 0.01"
                    " where salesorderid = %s and salesorderdetailid = %s",
                    (order, line),
                )
            elif kind == "delete":
                cur.execute(
                    f"delete from {TABLE} where salesorderid = %s and salesorderdetailid = %s",
                    (order, line),
                )

    def _lag_covers(self, modified: datetime) -> bool:
        return self.cursor is None or modified >= self.cursor - LAG

    def sync_and_reconcile(self) -> None:
        sync(self.settings, tables=TABLE, lag=LAG, detect_deletes=True)
        with server.connect(self.settings) as conn, conn.cursor() as cur:
            cur.execute(f"select max(modifieddate) from {TABLE}")
            newest = cur.fetchone()[0]  # type: ignore[index]
        if newest is not None and (self.cursor is None or newest > self.cursor):
            self.cursor = newest
        (result,) = reconcile(self.settings, tables=TABLE)
        assert result.clean, result.describe()
        assert result.warehouse_rows == result.source_rows


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=steps)
def test_raw_equals_the_source_after_every_sync(
    history: list[Step], pg_admin_dsn: str, template: str, tmp_path: Path
) -> None:
    with fresh_database(pg_admin_dsn, template, prefix="prop") as db:
        shop = Shop(db.dsn, tmp_path / uuid.uuid4().hex[:8])
        shop.sync_and_reconcile()
        for kind, pick, tick in history:
            if kind == "sync":
                shop.sync_and_reconcile()
            else:
                shop.apply(kind, pick, tick)
        shop.sync_and_reconcile()
