"""Sync end to end: after live shop activity, and on the real AdventureWorks data."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adventure_elt.oltp import generator, server
from adventure_elt.oltp.activity import run_activity
from adventure_elt.oltp.loader import load_csv
from adventure_elt.replicate.reconcile import reconcile
from adventure_elt.replicate.sync import sync
from adventure_elt.settings import Settings
from adventure_elt.transform import transform
from real_data import README_ROWS
from warehouse_sql import raw_counts, raw_sql

pytestmark = pytest.mark.postgres


def unclean(settings: Settings) -> list[str]:
    return [f"{r.table}: {r.describe()}" for r in reconcile(settings) if not r.clean]


def header_rows(settings: Settings) -> dict[int, tuple[Any, ...]]:
    with server.connect(settings) as conn, conn.cursor() as cur:
        cur.execute("select salesorderid, status, modifieddate from sales.salesorderheader")
        return {r[0]: tuple(r[1:]) for r in cur.fetchall()}


@pytest.mark.parametrize("mode", ["hard", "soft"])
def test_activity_then_sync_with_delete_detection(source_settings: Settings, mode: str) -> None:
    settings = dataclasses.replace(source_settings, delete_mode=mode)
    with server.connect(settings) as conn:
        generator.seed(conn, scale=0.02, seed=1)
    sync(settings)
    before = header_rows(settings)

    counts = run_activity(
        settings, orders_per_minute=600, duration=timedelta(minutes=1), seed=1, wait=False
    )
    after = header_rows(settings)
    updated = {k for k in before.keys() & after.keys() if before[k] != after[k]}
    deleted = before.keys() - after.keys()
    assert updated and deleted, counts  # the activity really changed and deleted orders

    summary = sync(settings, detect_deletes=True)

    assert unclean(settings) == []
    header = next(t for t in summary.tables if t.table == "sales.salesorderheader")
    assert header.deleted == len(deleted)
    live = " where not coalesce(_is_deleted, false)" if mode == "soft" else ""
    raw = {
        r[0]: tuple(r[1:])
        for r in raw_sql(
            settings,
            f"select salesorderid, status, modifieddate from raw.sales_salesorderheader{live}",
        )
    }
    assert {k: raw[k] for k in updated} == {k: after[k] for k in updated}
    assert not deleted & raw.keys()
    flagged = raw_sql(
        settings,
        "select salesorderid from raw.sales_salesorderheader"
        + (" where _is_deleted" if mode == "soft" else ""),
    )
    if mode == "soft":
        assert {r[0] for r in flagged} == deleted  # kept, and marked as deleted
    else:
        assert not deleted & {r[0] for r in flagged}


@pytest.mark.e2e
def test_real_data_load_csv_sync_reconcile(
    source_settings: Settings, adventureworks_dir: Path
) -> None:
    with server.connect(source_settings) as conn:
        load_csv(conn, adventureworks_dir)

    summary = sync(source_settings)

    assert {t.table: t.inserted for t in summary.tables} == README_ROWS
    assert unclean(source_settings) == []
    assert raw_counts(source_settings) == README_ROWS


def test_soft_deletes_survive_later_syncs_and_never_reach_the_models(
    source_settings: Settings,
) -> None:
    """Raw tables gain `_is_deleted` outside dlt's schema; later merges and reloads cope, and
    staging drops the flagged rows."""
    settings = dataclasses.replace(source_settings, delete_mode="soft")
    with server.connect(settings) as conn:
        generator.seed(conn, scale=0.02, seed=2)
    sync(settings)
    for seed in (2, 3):
        run_activity(
            settings, orders_per_minute=600, duration=timedelta(minutes=1), seed=seed, wait=False
        )
        with server.connect(settings) as conn, conn.cursor() as cur:  # two synced orders go
            cur.execute("select salesorderid from sales.salesorderheader order by 1 limit 2")
            gone = [r[0] for r in cur.fetchall()]
            cur.execute("delete from sales.salesorderdetail where salesorderid = any(%s)", [gone])
            cur.execute("delete from sales.salesorderheader where salesorderid = any(%s)", [gone])
            conn.commit()
        sync(settings, detect_deletes=True)
        assert unclean(settings) == []
        transform(settings, select=["stg_sales__order_headers", "stg_sales__order_details"])
        flagged = 0
        for table, model in (
            ("sales.salesorderheader", "stg_sales__order_headers"),
            ("sales.salesorderdetail", "stg_sales__order_details"),
        ):
            with server.connect(settings) as conn, conn.cursor() as cur:
                cur.execute(f"select count(*) from {table}")
                (source_rows,) = cur.fetchone()
            raw = f"raw.{table.replace('.', '_')}"
            flagged += raw_sql(settings, f"select count(*) from {raw} where _is_deleted")[0][0]
            staged = raw_sql(settings, f"select count(*) from staging.{model}")[0][0]
            assert staged == source_rows, model
        assert flagged > 0  # raw keeps the deleted rows, flagged
    sync(settings, full_refresh=True, detect_deletes=True)
    assert unclean(settings) == []
