"""`cdc start` into BigQuery (the emulator): the initial copy, then inserts, updates, deletes
and a key update merged into the raw tables, `reconcile` clean, re-delivery changing nothing."""

from __future__ import annotations

import dataclasses

import pytest

from adventure_elt.oltp import generator, server
from adventure_elt.replicate.cdc.stream import cdc_drop
from adventure_elt.settings import Settings
from adventure_elt.warehouse import open_warehouse
from cdc_helpers import execute, unique_name
from cdc_stream_helpers import assert_reconciled, running_stream

pytestmark = [pytest.mark.postgres, pytest.mark.bigquery]

CARD_SQL = "insert into sales.creditcard values (%s, 'Vista', %s, 5, 2030, '2024-01-01 10:00')"


def test_changes_stream_into_bigquery_and_reconcile_clean(bigquery_settings: Settings) -> None:
    settings = dataclasses.replace(
        bigquery_settings, cdc_slot=unique_name("slot"), cdc_publication=unique_name("pub")
    )
    dsn = settings.source_dsn
    assert dsn is not None
    with server.connect_to(dsn) as conn:
        generator.seed(conn, scale=0.005, seed=4)
    try:
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
    finally:
        cdc_drop(settings)
