"""`cdc start` into BigQuery (the emulator): the initial copy, then inserts, updates, deletes
and a key update merged into the raw tables, `reconcile` clean, re-delivery changing nothing;
a changed type stopping that table only, across a restart."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from adventure_elt.oltp import generator, server
from adventure_elt.replicate.cdc.stream import cdc_drop, cdc_status
from adventure_elt.settings import Settings
from adventure_elt.warehouse import open_warehouse
from cdc_helpers import execute, unique_name
from cdc_stream_helpers import assert_reconciled, running_stream

pytestmark = [pytest.mark.postgres, pytest.mark.bigquery]

FIRST_CARD = "creditcardid = (select min(creditcardid) from sales.creditcard)"
CARD_SQL = "insert into sales.creditcard values (%s, 'Vista', %s, 5, 2030, '2024-01-01 10:00')"


@pytest.fixture
def settings(bigquery_settings: Settings) -> Iterator[Settings]:
    """`bigquery_settings` with a small shop seeded, and a slot and publication of its own
    (dropped afterwards)."""
    settings = dataclasses.replace(
        bigquery_settings, cdc_slot=unique_name("slot"), cdc_publication=unique_name("pub")
    )
    assert settings.source_dsn is not None
    with server.connect_to(settings.source_dsn) as conn:
        generator.seed(conn, scale=0.005, seed=4)
    try:
        yield settings
    finally:
        cdc_drop(settings)


def test_changes_stream_into_bigquery_and_reconcile_clean(settings: Settings) -> None:
    dsn = settings.source_dsn
    assert dsn is not None
    with running_stream(settings) as running:
        execute(dsn, (CARD_SQL, (9001, "9001-1")), (CARD_SQL, (9002, "9002-1")))
        execute(dsn, "update sales.creditcard set expmonth = 9 where creditcardid = 9002")
        execute(dsn, "delete from sales.creditcard where creditcardid = 9001")
        running.wait_for(
            execute(
                dsn,
                "update sales.salesorderdetail set salesorderdetailid = 999999"
                " where (salesorderid, salesorderdetailid) = (select salesorderid,"
                " salesorderdetailid from sales.salesorderdetail order by 1, 2 limit 1)",
            )
        )
    assert running.result is not None and running.result.initial_copy
    assert_reconciled(settings)
    with open_warehouse(settings) as warehouse:
        raw = warehouse.relation("raw", "sales_creditcard")
        cards = warehouse.fetch_all(
            f"select creditcardid, expmonth from {raw} where creditcardid in (9001, 9002)"
        )
    assert cards == [(9002, 9)]


def test_a_type_change_stops_that_table_only(settings: Settings) -> None:
    dsn = settings.source_dsn
    assert dsn is not None
    first_line = (
        "(salesorderid, salesorderdetailid) = (select salesorderid, salesorderdetailid"
        " from sales.salesorderdetail order by 1, 2 limit 1)"
    )
    with running_stream(settings) as running:
        execute(
            dsn,
            "alter table sales.creditcard alter column expmonth type text",
            f"update sales.creditcard set expmonth = 'May' where {FIRST_CARD}",
        )
        running.wait_for(
            execute(dsn, f"update sales.salesorderdetail set orderqty = 4141 where {first_line}")
        )
    assert running.result is not None
    assert list(running.result.stopped) == ["sales.creditcard"]
    assert "'expmonth' is text in the source" in running.result.stopped["sales.creditcard"]
    with open_warehouse(settings) as warehouse:
        lines = warehouse.relation("raw", "sales_salesorderdetail")
        assert warehouse.fetch_all(f"select count(*) from {lines} where orderqty = 4141") == [(1,)]
    assert [s.table for s in cdc_status(settings).stopped] == ["sales.creditcard"]

    # A restart keeps it stopped. (The recovery, `sync --full-refresh`, is tested on DuckDB:
    # on BigQuery sync does not compare types, so dlt's load of the new type fails.)
    with running_stream(settings) as running:
        running.wait_for(execute(dsn, (CARD_SQL, (9003, "9003-1"))))
    assert running.result is not None
    assert list(running.result.stopped) == ["sales.creditcard"]
    with open_warehouse(settings) as warehouse:
        cards = warehouse.relation("raw", "sales_creditcard")
        assert warehouse.fetch_all(f"select count(*) from {cards} where creditcardid = 9003") == [
            (0,)
        ]
