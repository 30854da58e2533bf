"""`sync` then `reconcile`, written once and run on every engine (`engine_settings`): a first
sync copies every table, and after live shop activity the next one merges on the primary key."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adventure_elt.catalog import TABLES
from adventure_elt.oltp import generator, server
from adventure_elt.oltp.activity import run_activity
from adventure_elt.oltp.schema import row_counts
from adventure_elt.replicate.reconcile import reconcile
from adventure_elt.replicate.sync import sync
from adventure_elt.settings import Settings
from adventure_elt.warehouse import BigQueryWarehouse, open_warehouse
from warehouse_sql import engine_raw_counts

pytestmark = pytest.mark.postgres

# The raw layer's NUMERIC, as each engine names it (the RAW LAYER contract).
RAW_NUMERIC = {"duckdb": "DECIMAL(38,9)", "bigquery": "NUMERIC(38,9)"}


def test_sync_then_activity_merges_and_reconciles_clean(engine_settings: Settings) -> None:
    settings = engine_settings
    with server.connect(settings) as conn:
        generator.seed(conn, scale=0.01, seed=3)

    first = sync(settings)

    with server.connect(settings) as conn:
        counts = row_counts(conn)
    assert engine_raw_counts(settings) == counts
    assert {t.mode for t in first.tables} == {"initial"}
    results = reconcile(settings)
    assert [r.table for r in results if not r.clean] == []
    assert {r.table: r.warehouse_rows for r in results} == counts
    assert {r.table: r.source_rows for r in results}["sales.salesorderdetail"] > 0
    assert all(r.columns_compared for r in results)
    # the two sides' fingerprints agree, so no row's hash had to be fetched
    assert {r.compared_by for r in results} == {"fingerprint"}
    with open_warehouse(settings) as wh:
        if isinstance(wh, BigQueryWarehouse):  # the layer's dataset carries the prefix
            assert f"{settings.bigquery_dataset_prefix}_raw" == wh.dataset("raw")
        raw_columns = wh.column_types("raw", "sales_salesorderheader")
    assert raw_columns["subtotal"] == RAW_NUMERIC[settings.warehouse]
    assert {"_extracted_at", "_dlt_load_id", "_dlt_id"} <= set(raw_columns)

    changes = run_activity(
        settings, orders_per_minute=600, duration=timedelta(seconds=3), wait=False
    )
    second = sync(settings)

    by_table = {t.table: t for t in second.tables}
    assert {t.mode for t in second.tables} == {"incremental"}
    assert by_table["sales.salesorderheader"].rows_read >= changes.orders_created
    assert changes.orders_created and changes.status_changes
    # merged on the primary key: new rows added, edited rows replaced, nothing duplicated or
    # stale; rows deleted at the source stay (without --detect-deletes, see test_delete_scenarios)
    results = {r.table: r for r in reconcile(settings)}
    assert {
        t: r.missing_keys + r.differing_rows + r.duplicate_keys for t, r in results.items()
    } == {t.qualified_name: 0 for t in TABLES}
    # (an order created and deleted between the two syncs never reached the warehouse)
    assert results["sales.salesorderheader"].extra_keys <= changes.orders_deleted
    assert results["sales.salesorderdetail"].extra_keys <= changes.lines_deleted
    assert {t for t, r in results.items() if r.extra_keys} <= {
        "sales.salesorderheader",
        "sales.salesorderdetail",
    }

    # one value changed in raw, the row count unchanged: the fingerprints differ, and comparing
    # every row's hash names the row
    with open_warehouse(settings) as wh:
        country = wh.relation("raw", "person_countryregion")
        code = wh.fetch_all(f"select min(countryregioncode) from {country}")[0][0]
        wh.execute_dml(
            f"update {country} set name = 'Elsewhere' where countryregioncode = '{code}'"
        )
    (changed,) = reconcile(settings, tables="person.countryregion")
    assert (changed.differing_rows, changed.missing_keys, changed.extra_keys) == (1, 0, 0)
    assert changed.compared_by == "rows"
    assert changed.examples == {"differing": [{"countryregioncode": code}]}
