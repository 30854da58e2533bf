"""`sync`: the source's 12 tables land in the raw layer, incrementally and idempotently."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg2.errors
import pytest

from adventure_elt.catalog import TABLES, get_table
from adventure_elt.errors import ConfigError
from adventure_elt.oltp import generator, server
from adventure_elt.progress import ProgressEvent
from adventure_elt.replicate.dlt_setup import pipeline_state_size
from adventure_elt.replicate.sync import sync
from adventure_elt.settings import Settings
from warehouse_sql import raw_counts, raw_sql

pytestmark = pytest.mark.postgres


@pytest.fixture
def shop(seeded_source: Callable[[float, int], Settings]) -> Settings:
    """The source filled by the synthetic generator at scale 0.05."""
    return seeded_source(0.05, 1)


def source_sql(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    with server.connect(settings) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall() if cur.description else []


def test_sync_copies_every_table_with_the_contract_types(shop: Settings) -> None:
    summary = sync(shop)

    with server.connect(shop) as conn:
        from adventure_elt.oltp.schema import row_counts

        assert raw_counts(shop) == row_counts(conn)
    assert {t.mode for t in summary.tables} == {"initial"}
    assert sum(t.inserted for t in summary.tables) == sum(raw_counts(shop).values())
    # Whole tables equal, value by value, for tables covering every column type.
    for name in ("sales.salesorderheader", "person.address", "person.person", "production.product"):
        table = get_table(name)
        cols = [
            r[0]
            for r in source_sql(
                shop,
                "select column_name from information_schema.columns where table_schema ="
                f" '{table.schema}' and table_name = '{table.name}' order by ordinal_position",
            )
        ]
        key = ", ".join(table.primary_key)
        expected = [
            tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
            for row in source_sql(shop, f"select {', '.join(cols)} from {name} order by {key}")
        ]
        got = raw_sql(shop, f"select {', '.join(cols)} from raw.{table.raw_name} order by {key}")
        got = [
            tuple(str(v) if k == "rowguid" else v for k, v in zip(cols, r, strict=True))
            for r in got
        ]
        expected = [
            tuple(str(v) if k == "rowguid" else v for k, v in zip(cols, r, strict=True))
            for r in expected
        ]
        assert got == expected, name
    types = dict(
        raw_sql(
            shop,
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'raw' and table_name = 'sales_salesorderheader'",
        )
    )
    assert types["salesorderid"] == "BIGINT"
    assert types["subtotal"] == "DECIMAL(38,9)"
    assert types["orderdate"] == "TIMESTAMP"
    assert types["onlineorderflag"] == "BOOLEAN"
    assert types["rowguid"] == "VARCHAR"
    assert types["_extracted_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["_dlt_load_id"] == "VARCHAR"
    assert types["_dlt_id"] == "VARCHAR"
    assert raw_sql(shop, "select count(*) from raw.sales_salesorderheader where _dlt_id is null")[
        0
    ] == (0,)


def test_text_edge_cases_and_bytes_survive(source_settings: Settings) -> None:
    with server.connect(source_settings) as conn:
        generator.seed(conn, scale=0.01, seed=2)
    source_sql(
        source_settings,
        "update person.address set addressline2 = '', spatiallocation = '\\x00ff10'::bytea,"
        " city = 'Line1\n\"Line2\", end'"
        " where addressid = (select min(addressid) from person.address);"
        " update production.product set style = 'U ', color = null"
        " where productid = (select min(productid) from production.product)",
    )
    sync(source_settings)

    row = raw_sql(
        source_settings,
        "select addressline2, spatiallocation, city from raw.person_address"
        " order by addressid limit 1",
    )[0]
    assert row == ("", b"\x00\xff\x10", 'Line1\n"Line2", end')
    nulls = raw_sql(
        source_settings,
        "select count(*) from raw.person_address where addressline2 is null",
    )[0][0]
    assert (
        nulls
        == source_sql(
            source_settings, "select count(*) from person.address where addressline2 is null"
        )[0][0]
    )
    style, color = raw_sql(
        source_settings,
        "select style, color from raw.production_product order by productid limit 1",
    )[0]
    assert (style, color) == ("U ", None)


def test_second_sync_writes_nothing_and_updates_carry_new_values(shop: Settings) -> None:
    first = sync(shop)
    loads = raw_sql(shop, "select count(distinct _dlt_load_id) from raw.sales_salesorderheader")

    again = sync(shop)
    assert again.rows_written == 0
    assert (
        raw_sql(shop, "select count(distinct _dlt_load_id) from raw.sales_salesorderheader")
        == loads
    )

    source_sql(
        shop,
        "update sales.salesorderheader set status = 6, comment = 'cancelled by test',"
        " modifieddate = now() where salesorderid in"
        " (select salesorderid from sales.salesorderheader order by salesorderid limit 3)",
    )
    after = sync(shop)
    header = next(t for t in after.tables if t.table == "sales.salesorderheader")
    assert (header.updated, header.inserted) == (3, 0)
    rows = raw_sql(
        shop,
        "select status, comment from raw.sales_salesorderheader order by salesorderid limit 3",
    )
    assert rows == [(6, "cancelled by test")] * 3
    assert raw_counts(shop) == {t.table: t.rows_read for t in first.tables}


def test_many_rows_sharing_one_modifieddate_keep_state_small(shop: Settings) -> None:
    source_sql(shop, "update sales.salesorderdetail set modifieddate = '2024-01-01 12:00:00'")
    sync(shop)
    small = pipeline_state_size(shop)
    assert 0 < small < 20_000

    source_sql(
        shop,
        "update sales.salesorderdetail set unitprice = unitprice + 1"
        " where salesorderdetailid % 7 = 0",
    )  # same modifieddate: only the inclusive bound sees it
    result = sync(shop)
    detail = next(t for t in result.tables if t.table == "sales.salesorderdetail")
    changed = source_sql(
        shop, "select count(*) from sales.salesorderdetail where salesorderdetailid % 7 = 0"
    )[0][0]
    assert detail.updated == changed
    assert pipeline_state_size(shop) < 20_000
    source_total = source_sql(shop, "select sum(unitprice) from sales.salesorderdetail")[0][0]
    raw_total = raw_sql(shop, "select sum(unitprice) from raw.sales_salesorderdetail")[0][0]
    assert Decimal(raw_total) == Decimal(source_total)


def test_lag_catches_an_update_that_keeps_an_older_modifieddate(shop: Settings) -> None:
    sync(shop)
    newest = source_sql(shop, "select max(modifieddate) from sales.salesorderheader")[0][0]
    # A late commit: the row's modifieddate is a minute before the cursor.
    source_sql(
        shop,
        "update sales.salesorderheader set comment = 'late', modifieddate ="
        f" '{newest - timedelta(minutes=1)}' where salesorderid ="
        " (select min(salesorderid) from sales.salesorderheader)",
    )
    sync(shop, tables="sales.salesorderheader")
    assert raw_sql(shop, "select count(*) from raw.sales_salesorderheader where comment = 'late'")[
        0
    ] == (0,)

    sync(shop, tables="sales.salesorderheader", lag=timedelta(minutes=5))
    assert raw_sql(shop, "select count(*) from raw.sales_salesorderheader where comment = 'late'")[
        0
    ] == (1,)


def test_tables_limits_the_run_and_full_refresh_reloads(shop: Settings) -> None:
    summary = sync(shop, tables="sales.customer,person.address")
    assert [t.table for t in summary.tables] == ["person.address", "sales.customer"]
    with duckdb.connect(str(shop.duckdb_path), read_only=True) as con:
        tables = {
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'raw'"
            ).fetchall()
        }
    assert {"person_address", "sales_customer"} <= tables
    assert "sales_salesorderheader" not in tables

    # A change with an old modifieddate is invisible to incremental sync, not to a full refresh.
    source_sql(
        shop,
        "update sales.customer set territoryid = 4242,"
        " modifieddate = '2000-01-01'"
        " where customerid = (select min(customerid) from sales.customer)",
    )
    sync(shop, tables="sales.customer")
    assert raw_sql(shop, "select count(*) from raw.sales_customer where territoryid = 4242")[0] == (
        0,
    )
    refreshed = sync(shop, tables="sales.customer", full_refresh=True)
    assert refreshed.tables[0].mode == "full refresh"
    assert raw_sql(shop, "select count(*) from raw.sales_customer where territoryid = 4242")[0] == (
        1,
    )
    assert (
        raw_sql(shop, "select count(*) from raw.sales_customer")[0][0]
        == source_sql(shop, "select count(*) from sales.customer")[0][0]
    )
    # The cursor was reset and rebuilt: the next incremental run finds nothing new.
    assert sync(shop, tables="sales.customer").rows_written == 0


def test_unknown_table_raises_before_anything_is_written(shop: Settings) -> None:
    with pytest.raises(ConfigError, match="unknown table"):
        sync(shop, tables="sales.nope")
    assert not shop.duckdb_path.exists()


def test_select_only_role_can_sync(shop: Settings, pg_admin_dsn: str) -> None:
    assert shop.source_dsn is not None
    with server.connect(shop) as conn, conn.cursor() as cur:
        cur.execute(
            "do $$ begin if not exists (select from pg_roles where rolname = 'etl_reader')"
            " then create role etl_reader login; end if; end $$"
        )
        cur.execute("grant usage on schema person, sales, production to etl_reader")
        for table in TABLES:
            cur.execute(f"grant select on {table.qualified_name} to etl_reader")
    reader_dsn = shop.source_dsn.replace("postgresql://postgres@", "postgresql://etl_reader@")
    assert "etl_reader" in reader_dsn
    reader = Settings(source_dsn=reader_dsn, duckdb_path=shop.duckdb_path, home=shop.home)

    summary = sync(reader)

    assert sum(t.rows_read for t in summary.tables) == sum(raw_counts(shop).values()) > 0
    # The role really cannot write: sync never needed it to.
    with (
        server.connect(reader) as conn,
        conn.cursor() as cur,
        pytest.raises(psycopg2.errors.InsufficientPrivilege),
    ):
        cur.execute("update sales.customer set modifieddate = now()")


def run_cli(
    *args: str,
    settings: Settings | None = None,
    duckdb_path: Path | None = None,
    home: Path | None = None,
    dsn: str | None = None,
) -> subprocess.CompletedProcess[str]:
    options: list[str] = []
    if dsn is not None:
        options += ["--source-dsn", dsn]
    if duckdb_path is not None:
        options += ["--duckdb-path", str(duckdb_path)]
    if home is not None:
        options += ["--home", str(home)]
    return subprocess.run(
        [sys.executable, "-m", "adventure_elt", *options, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_sync_prints_a_summary_and_json(shop: Settings) -> None:
    assert shop.source_dsn is not None
    done = run_cli(
        "sync",
        "--tables",
        "sales.store",
        "--json",
        dsn=shop.source_dsn,
        duckdb_path=shop.duckdb_path,
        home=shop.home,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["tables"][0]["table"] == "sales.store"
    assert result["tables"][0]["inserted"] == result["tables"][0]["rows_read"] > 0
    assert "sync sales.store" in done.stderr

    again = run_cli(
        "sync",
        "--tables",
        "sales.store",
        "--lag",
        "5m",
        dsn=shop.source_dsn,
        duckdb_path=shop.duckdb_path,
        home=shop.home,
    )
    assert again.returncode == 0, again.stderr
    assert "sales.store" in again.stdout and "incremental" in again.stdout


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unknown table", "unknown table"),
        ("unreachable source", "cannot connect to the source"),
        ("parent is a file", "not a writable folder"),
        ("bad lag", "bad duration"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line_and_writes_nothing(
    shop: Settings, tmp_path: Path, case: str, message: str
) -> None:
    assert shop.source_dsn is not None
    dsn = shop.source_dsn
    target = tmp_path / "out" / "warehouse.duckdb"
    args = ["sync"]
    if case == "unknown table":
        args += ["--tables", "sales.customer,sales.nope"]
    elif case == "unreachable source":
        dsn = "postgresql://etl:s3cret-pw@/nodb?host=" + str(tmp_path / "no-socket-here")
    elif case == "parent is a file":
        (tmp_path / "afile").write_text("not a folder")
        target = tmp_path / "afile" / "warehouse.duckdb"
    else:
        args += ["--lag", "soon"]

    done = run_cli(*args, dsn=dsn, duckdb_path=target, home=tmp_path / "home")

    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr
    assert "s3cret-pw" not in done.stderr + done.stdout
    assert not target.exists()
    assert not (tmp_path / "home" / "dlt").exists()


def test_a_whole_table_s_progress_has_postgres_row_estimate_as_its_total(shop: Settings) -> None:
    source_sql(shop, "analyze sales.salesorderdetail")
    # sales.store as never estimated (and kept so: autovacuum would analyse it meanwhile)
    source_sql(shop, "alter table sales.store set (autovacuum_enabled = false)")
    source_sql(shop, "update pg_class set reltuples = -1 where oid = 'sales.store'::regclass")
    events: list[ProgressEvent] = []
    sync(shop, progress=events.append)

    ((rows,),) = source_sql(shop, "select count(*) from sales.salesorderdetail")
    details = [e for e in events if e.task == "sync sales.salesorderdetail"]
    assert details[0].total == rows  # an analysed table's estimate is its count
    assert all(e.total is not None and e.done <= e.total for e in details[1:-1])
    assert details[-1].finished and details[-1].done == rows
    # never estimated: no total (a pulsing bar), rather than a guess
    assert {e.total for e in events if e.task == "sync sales.store"} == {None}

    events.clear()
    sync(shop, progress=events.append)  # incremental: what is past the cursor has no estimate
    assert {e.total for e in events if e.task == "sync sales.salesorderdetail"} == {None}
