"""Schema drift: source columns appear and change type between syncs (a dropped column, on
both engines: tests/bigquery/test_drift_scenarios.py)."""

from __future__ import annotations

import pytest

from adventure_elt.oltp import generator, server
from adventure_elt.replicate.drift import SchemaChangeError
from adventure_elt.replicate.reconcile import reconcile
from adventure_elt.replicate.sync import sync
from adventure_elt.settings import Settings
from cli_run import cli
from warehouse_sql import raw_sql

pytestmark = pytest.mark.postgres


@pytest.fixture
def synced(source_settings: Settings) -> Settings:
    """A small source, synced once."""
    with server.connect(source_settings) as conn:
        generator.seed(conn, scale=0.01, seed=3)
    sync(source_settings)
    return source_settings


def source_sql(settings: Settings, sql: str) -> None:
    with server.connect(settings) as conn, conn.cursor() as cur:
        cur.execute(sql)


def raw_type(settings: Settings, table: str, column: str) -> str | None:
    rows = raw_sql(
        settings,
        "select data_type from information_schema.columns where table_schema = 'raw'"
        f" and table_name = '{table}' and column_name = '{column}'",
    )
    return str(rows[0][0]) if rows else None


def unclean(settings: Settings) -> list[str]:
    return [f"{r.table}: {r.describe()}" for r in reconcile(settings) if not r.clean]


def test_new_column_is_null_for_old_rows_until_a_full_refresh_fills_it(synced: Settings) -> None:
    source_sql(
        synced,
        "alter table sales.store add column region_note text;"
        " update sales.store set region_note = 'north-' || businessentityid;"
        " update sales.store set modifieddate = now() where businessentityid ="
        " (select min(businessentityid) from sales.store)",
    )

    summary = sync(synced)

    store = next(t for t in summary.tables if t.table == "sales.store")
    # The touched row plus rows at the old cursor (inclusive bound) were re-read and now differ.
    assert 1 <= store.updated == store.rows_read
    assert any("region_note" in n and "--full-refresh" in n for n in store.notes), store.notes
    assert raw_type(synced, "sales_store", "region_note") == "VARCHAR"
    filled, total = raw_sql(synced, "select count(region_note), count(*) from raw.sales_store")[0]
    assert filled == store.rows_read < total  # only re-read rows have it; older rows hold NULL

    refreshed = sync(synced, tables="sales.store", full_refresh=True)

    assert any("filled" in n and "region_note" in n for n in refreshed.tables[0].notes)
    assert raw_sql(synced, "select count(*) from raw.sales_store where region_note is null") == [
        (0,)
    ]
    assert unclean(synced) == []


def test_sync_prints_the_added_column_note_until_the_back_fill(synced: Settings) -> None:
    """What a user reads: `sync` names the new column and the command that fills it, on every
    sync until that command ran; that command says it filled it."""
    backfill = "`adventure-elt sync --full-refresh --tables sales.store`"
    source_sql(
        synced,
        "alter table sales.store add column region_note text;"
        " update sales.store set region_note = 'x', modifieddate = now() where businessentityid ="
        " (select min(businessentityid) from sales.store)",
    )

    first, again = cli(synced, "sync"), cli(synced, "sync")
    filled = cli(synced, "sync", "--full-refresh", "--tables", "sales.store")

    for done in (first, again):
        assert done.returncode == 0, done.stderr
        notes = [line for line in done.stdout.splitlines() if line.startswith("sales.store: ")]
        assert len(notes) == 1, done.stdout
        assert "new column(s) region_note" in notes[0] and backfill in notes[0], notes
    assert filled.returncode == 0, filled.stderr
    assert "sales.store: filled new column(s) region_note for all rows" in filled.stdout
    assert backfill not in filled.stdout


@pytest.mark.parametrize(
    ("table", "column", "alter", "raw_before", "raw_after"),
    [
        (
            "person.countryregion",
            "name",
            "alter table person.countryregion alter column name type integer using length(name)",
            "VARCHAR",
            "BIGINT",
        ),
        (
            "sales.store",
            "salespersonid",
            "alter table sales.store alter column salespersonid type text"
            " using 'sp-' || salespersonid",
            "BIGINT",
            "VARCHAR",
        ),
    ],
    ids=["text to integer", "integer to text"],
)
def test_type_change_stops_only_that_table_until_a_full_refresh(
    synced: Settings, table: str, column: str, alter: str, raw_before: str, raw_after: str
) -> None:
    raw_name = table.replace(".", "_")
    snapshot = raw_sql(synced, f"select * from raw.{raw_name} order by all")
    source_sql(
        synced,
        f"{alter}; update {table} set modifieddate = now();"
        " update sales.customer set modifieddate = now(), territoryid = 9"
        " where customerid = (select min(customerid) from sales.customer)",
    )

    done = cli(synced, "sync")

    assert done.returncode == 2, done.stderr
    error = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and table in error[0] and repr(column) in error[0], done.stderr
    assert "--full-refresh --tables " + table in error[0]
    assert "failed" in done.stdout  # the summary of the other tables is still printed
    # Nothing of the broken table was loaded, the other tables were.
    assert raw_type(synced, raw_name, column) == raw_before
    assert raw_sql(synced, f"select * from raw.{raw_name} order by all") == snapshot
    assert raw_sql(synced, "select territoryid from raw.sales_customer order by customerid limit 1")
    assert raw_sql(
        synced, "select territoryid from raw.sales_customer order by customerid limit 1"
    ) == [(9,)]
    problems = {r.table: r for r in reconcile(synced)}
    assert [name for name, r in problems.items() if not r.clean] == [table]

    # The same from Python: the error carries the summary of what was synced.
    with pytest.raises(SchemaChangeError, match=column) as raised:
        sync(synced)
    failed = [t for t in raised.value.summary.tables if t.mode == "failed"]
    assert [t.table for t in failed] == [table]

    refreshed = sync(synced, tables=table, full_refresh=True)

    assert any("rebuilt" in n for n in refreshed.tables[0].notes)
    assert raw_type(synced, raw_name, column) == raw_after
    assert unclean(synced) == []
    assert sync(synced).rows_written == 0
