"""`freshness()`: each raw table's live rows and last sync time, and the latest runs' steps, read
from a hand-made DuckDB warehouse (the raw layer's and ops.runs' shapes as sync and run write them).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from adventure_elt.catalog import TABLES
from adventure_elt.freshness import freshness
from adventure_elt.settings import Settings

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def _warehouse(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("set timezone = 'UTC'")
        con.execute("create schema raw; create schema ops")
        # Synced twice; one row soft-deleted since.
        con.execute(
            "create table raw.sales_salesorderheader (salesorderid bigint,"
            " _extracted_at timestamptz, _is_deleted bool)"
        )
        con.executemany(
            "insert into raw.sales_salesorderheader values (?, ?, ?)",
            [(1, T0, None), (2, T0, True), (3, T0 + timedelta(hours=1), False)],
        )
        # An older sync, before soft deletes existed: no _is_deleted column.
        con.execute("create table raw.person_address (addressid bigint, _extracted_at timestamptz)")
        con.execute("insert into raw.person_address values (10, ?)", [T0 - timedelta(days=2)])
        con.execute("create table raw.web_events (event_id varchar, _ingested_at timestamptz)")
        con.execute("insert into raw.web_events values ('e1', ?), ('e2', ?)", [T0, T0])
        con.execute(
            "create table ops.runs (run_id varchar, step varchar, started_at timestamptz,"
            " ended_at timestamptz, status varchar, attempts integer, rows bigint, error varchar)"
        )
        for run, start, status in (("old", T0, "ok"), ("mid", T0, "ok"), ("new", T0, "failed")):
            hours = {"old": 0, "mid": 1, "new": 2}[run]
            at = start + timedelta(hours=hours)
            con.execute(
                "insert into ops.runs values (?, 'sync', ?, ?, 'ok', 1, 5, null),"
                " (?, 'transform', ?, ?, ?, 3, 0, ?)",
                [
                    run,
                    at,
                    at,
                    run,
                    at + timedelta(minutes=1),
                    at,
                    status,
                    "boom" if status == "failed" else None,
                ],
            )


def test_freshness_counts_live_rows_and_reads_the_latest_runs(tmp_path: Path) -> None:
    settings = Settings(duckdb_path=tmp_path / "w.duckdb", home=tmp_path)
    _warehouse(settings.duckdb_path)

    state = freshness(settings, runs=2)

    tables = {t.name: t for t in state.tables}
    assert [t.name for t in state.tables] == [t.qualified_name for t in TABLES] + ["web events"]
    assert (tables["sales.salesorderheader"].rows, tables["sales.salesorderheader"].synced_at) == (
        2,
        T0 + timedelta(hours=1),
    )
    assert tables["person.address"].rows == 1
    assert tables["web events"].rows == 2 and tables["web events"].synced_at == T0
    assert tables["sales.customer"].rows is None and tables["sales.customer"].synced_at is None
    assert [(s.run_id, s.step, s.status) for s in state.runs] == [
        ("new", "sync", "ok"),
        ("new", "transform", "failed"),
        ("mid", "sync", "ok"),
        ("mid", "transform", "ok"),
    ]
    assert state.runs[1].error == "boom" and state.runs[1].attempts == 3


def test_freshness_of_a_warehouse_that_never_ran(tmp_path: Path) -> None:
    settings = Settings(duckdb_path=tmp_path / "w.duckdb", home=tmp_path)
    duckdb.connect(str(settings.duckdb_path)).close()

    state = freshness(settings)

    assert state.runs == []
    assert all(t.rows is None and t.synced_at is None for t in state.tables)
