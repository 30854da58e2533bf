"""Delete detection and reconciliation against a real PostgreSQL and a DuckDB raw layer.

`copy_to_raw` builds the raw layer the way the RAW LAYER contract describes it (same column
names, BIGINT / DECIMAL(38,9) / VARCHAR with char padding / BLOB / BOOLEAN / naive TIMESTAMP, plus
`_extracted_at`, `_dlt_load_id`, `_dlt_id`) through Python values, independently of the SQL
`reconcile` uses, so these tests do not depend on the sync. Hard and soft delete detection
through `sync`, on DuckDB and BigQuery alike, is in tests/bigquery/test_delete_scenarios.py.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from adventure_elt.catalog import TABLES, SourceTable, get_table
from adventure_elt.errors import WarehouseError
from adventure_elt.oltp import schema, server
from adventure_elt.replicate.deletes import detect_deletes
from adventure_elt.replicate.extract import SourceColumn
from adventure_elt.replicate.reconcile import (
    HASH_SLICES,
    TableReconciliation,
    _source_fingerprint,
    postgres_text,
    reconcile,
)
from adventure_elt.settings import Settings
from adventure_elt.warehouse import open_warehouse

pytestmark = pytest.mark.postgres

DETAIL = get_table("sales.salesorderdetail")

# PostgreSQL type → (DuckDB type, Arrow type) of the raw layer contract.
_RAW_TYPES: dict[str, tuple[str, pa.DataType]] = {
    "smallint": ("BIGINT", pa.int64()),
    "integer": ("BIGINT", pa.int64()),
    "bigint": ("BIGINT", pa.int64()),
    "numeric": ("DECIMAL(38,9)", pa.decimal128(38, 9)),
    "boolean": ("BOOLEAN", pa.bool_()),
    "bytea": ("BLOB", pa.binary()),
    "timestamp without time zone": ("TIMESTAMP", pa.timestamp("us")),
}
_TEXT = ("VARCHAR", pa.string())


def copy_to_raw(settings: Settings, tables: tuple[SourceTable, ...] = TABLES) -> None:
    """Replace `raw.<schema>_<table>` with the source's current rows, per the raw contract."""
    with server.connect(settings) as conn, open_warehouse(settings) as warehouse:
        warehouse.create_layer("raw")
        db: Any = getattr(warehouse, "connection")  # noqa: B009  (DuckDB-only test helper)
        for table in tables:
            with conn.cursor() as cur:
                cur.execute(
                    "select column_name, data_type from information_schema.columns"
                    " where table_schema = %s and table_name = %s order by ordinal_position",
                    (table.schema, table.name),
                )
                columns = [(name, _RAW_TYPES.get(kind, _TEXT)) for name, kind in cur.fetchall()]
                cur.execute(f"select * from {table.qualified_name}")
                rows = cur.fetchall()
            arrays = [
                pa.array([_python(row[i]) for row in rows], type=arrow)
                for i, (_, (_, arrow)) in enumerate(columns)
            ]
            data = pa.table(arrays, names=[name for name, _ in columns])
            ddl = ", ".join(f'"{name}" {kind}' for name, (kind, _) in columns)
            db.execute(
                f"create or replace table raw.{table.raw_name} ({ddl},"
                " _extracted_at timestamptz, _dlt_load_id varchar, _dlt_id varchar)"
            )
            db.register("incoming", data)
            names = ", ".join(f'"{name}"' for name, _ in columns)
            db.execute(
                f"insert into raw.{table.raw_name} ({names}, _extracted_at, _dlt_load_id, _dlt_id)"
                f" select {names}, now(), 'test-load', uuid()::varchar from incoming"
            )
            db.unregister("incoming")


def _python(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value


def source_sql(settings: Settings, sql: str, params: tuple[Any, ...] = ()) -> None:
    with server.connect(settings) as conn, conn.cursor() as cur:
        cur.execute(sql, params)


def raw_sql(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(settings.duckdb_path)) as db:
        return db.execute(sql).fetchall()


def by_table(results: list[TableReconciliation]) -> dict[str, TableReconciliation]:
    return {r.table: r for r in results}


def not_clean(results: list[TableReconciliation]) -> dict[str, str]:
    return {r.table: r.describe() for r in results if not r.clean}


@pytest.fixture
def tricky_source(source_settings: Settings) -> Iterator[Settings]:
    """A small source whose rows exercise every column type and the usual false alarms.

    1.50 in numeric (raw 1.500000000), microsecond timestamps, char(n) padding, bytea, NULL next
    to '' in the same column, non-ASCII text, a text key, and a composite key.
    """
    with server.connect(source_settings) as conn, conn.cursor() as cur:
        schema.create_schema(conn)
        cur.execute(
            "insert into person.countryregion values"
            " ('US', 'United States', '2024-01-01 10:00:00'), ('', 'Nowhere', '2024-01-01'),"
            " ('NA', 'Namibia', '2024-01-01')"
        )
        cur.execute(
            "insert into person.stateprovince values"
            " (1, 'WA', 'US', false, 'Washington', 1, gen_random_uuid(), '2024-01-01')"
        )
        cur.execute(
            "insert into person.address values"
            " (1, '1 Main St', null, 'Seattle', 1, '98101', '\\x00ff10ab'::bytea,"
            "  gen_random_uuid(), '2024-01-02 03:04:05.000120'),"
            " (2, '2 Main St', '', 'Zürich ✓', 1, '98102', null,"
            "  gen_random_uuid(), '2024-01-02 03:04:05'),"
            " (3, '3 Main St', 'Apt ' || chr(9) || '3', 'Seattle', 1, '98103', ''::bytea,"
            "  gen_random_uuid(), '2024-01-02 03:04:05.999999')"
        )
        cur.execute(
            "insert into production.productcategory values (1, 'Bikes', gen_random_uuid(), now())"
        )
        cur.execute(
            "insert into production.productsubcategory"
            " values (1, 1, 'Road Bikes', gen_random_uuid(), now())"
        )
        cur.execute(
            "insert into production.product (productid, name, productnumber, safetystocklevel,"
            " reorderpoint, standardcost, listprice, size, sizeunitmeasurecode, weight,"
            " daystomanufacture, productline, class, style, productsubcategoryid, sellstartdate)"
            " values"
            " (1, 'Road-150', 'BK-R150', 100, 75, 1.50, 3578.2700, '62', 'CM ', 15.00, 4,"
            "  'R', 'H', 'U', 1, '2011-05-31'),"
            " (2, 'Road-250', 'BK-R250', 100, 75, 0.0001, 10, null, null, null, 0,"
            "  null, null, null, null, '2011-05-31 00:00:00.000001')"
        )
        cur.execute(
            "insert into sales.customer (customerid, personid, storeid, territoryid)"
            " values (1, null, null, 1)"
        )
        cur.execute(
            "insert into sales.salesorderheader (salesorderid, orderdate, duedate, customerid,"
            " billtoaddressid, shiptoaddressid, shipmethodid, subtotal, taxamt, freight, totaldue)"
            " values (10, '2024-01-01', '2024-01-13', 1, 1, 1, 5, 3.0, 0.24, 0.075, 3.315)"
        )
        cur.execute(
            "insert into sales.salesorderdetail (salesorderid, salesorderdetailid, orderqty,"
            " productid, specialofferid, unitprice, unitpricediscount) values"
            " (10, 1, 1, 1, 1, 1.50, 0.00), (10, 2, 2, 2, 1, 0.75, 0.10)"
        )
    copy_to_raw(source_settings)
    yield source_settings


def test_identical_source_and_raw_reconcile_clean(tricky_source: Settings) -> None:
    results = reconcile(tricky_source)
    assert [r.table for r in results] == [t.qualified_name for t in TABLES]
    assert not_clean(results) == {}
    address = by_table(results)["person.address"]
    assert (address.source_rows, address.warehouse_rows) == (3, 3)
    assert "_extracted_at" not in address.columns_compared
    assert "spatiallocation" in address.columns_compared
    assert by_table(results)["sales.salesorderdetail"].warehouse_rows == 2
    # PostgreSQL's fingerprints equal DuckDB's on these tricky values: no row was fetched
    assert {r.compared_by for r in results} == {"fingerprint"}


def test_the_source_fingerprint_sums_the_numbers_the_hash_digits_spell(
    source_settings: Settings,
) -> None:
    """PostgreSQL's side of the fingerprint, against Python's int(): unsigned up to 2³² − 1."""
    digests = ["0cc175b9c0f1b6a831c399e269772661", "ffffffff8000000000000000000000ff"]
    rows = " union all ".join(f"select '{d}' as _row_hash" for d in digests)
    empty = f"select '{digests[0]}' as _row_hash where false"
    with server.connect(source_settings) as conn:
        found = _source_fingerprint(conn, rows), _source_fingerprint(conn, empty)
    expected = [sum(int(d[s - 1 : s + 7], 16) for d in digests) for s in HASH_SLICES]
    assert found == ((2, *expected), (0, 0, 0))


def test_postgres_writes_an_early_year_with_four_digits(source_settings: Settings) -> None:
    """The canonical text the warehouses match (`test_engine_scenarios.py`): `0001`, not `1`."""
    at = SourceColumn("at", "timestamp without time zone", pa.timestamp("us"), True)
    on = SourceColumn("on", "date", pa.date32(), True)
    texts = f"{postgres_text(at, 'TIMESTAMP')}, {postgres_text(on, 'DATE')}"
    with server.connect(source_settings) as conn, conn.cursor() as cur:
        cur.execute(
            f"select {texts} from (values (timestamp '0001-01-01', date '0001-01-01'),"
            " (timestamp '0999-03-04 05:06:07.000123', date '0999-03-04')) as v(at, \"on\")"
        )
        assert cur.fetchall() == [
            ("0001-01-01 00:00:00.000000", "0001-01-01"),
            ("0999-03-04 05:06:07.000123", "0999-03-04"),
        ]


def test_each_kind_of_difference_is_counted(tricky_source: Settings) -> None:
    source_sql(tricky_source, "delete from person.address where addressid = 3")
    source_sql(
        tricky_source, "update production.product set listprice = 3578.28 where productid = 1"
    )
    source_sql(
        tricky_source,
        "insert into sales.salesorderdetail (salesorderid, salesorderdetailid, orderqty,"
        " productid, specialofferid, unitprice) values (10, 3, 1, 1, 1, 2)",
    )
    results = by_table(reconcile(tricky_source))
    address = results["person.address"]
    assert (address.source_rows, address.warehouse_rows, address.extra_keys) == (2, 3, 1)
    assert address.examples == {"extra": [{"addressid": 3}]}
    product = results["production.product"]
    assert (product.differing_rows, product.missing_keys, product.extra_keys) == (1, 0, 0)
    assert product.examples == {"differing": [{"productid": 1}]}
    detail = results["sales.salesorderdetail"]
    assert (detail.missing_keys, detail.extra_keys, detail.differing_rows) == (1, 0, 0)
    assert detail.examples == {"missing": [{"salesorderid": 10, "salesorderdetailid": 3}]}
    assert {t for t, r in results.items() if not r.clean} == {
        "person.address",
        "production.product",
        "sales.salesorderdetail",
    }
    assert {t for t, r in results.items() if r.compared_by == "rows"} == {
        "person.address",
        "production.product",
        "sales.salesorderdetail",
    }


@pytest.mark.parametrize(
    ("raw_change", "table"),
    [
        # NULL and '' are different values: a sync that turned one into the other is caught.
        ("update raw.person_address set addressline2 = '' where addressid = 1", "person.address"),
        ("update raw.person_address set addressline2 = null where addressid = 2", "person.address"),
        # char(3) 'CM ' must keep its padding in raw.
        (
            "update raw.production_product set sizeunitmeasurecode = 'CM' where productid = 1",
            "production.product",
        ),
        # One microsecond, one byte, one ten-thousandth.
        (
            "update raw.person_address set modifieddate = modifieddate + interval 1 microsecond"
            " where addressid = 1",
            "person.address",
        ),
        (
            "update raw.person_address set spatiallocation = '\\x00\\xFF\\x10\\xAC'::blob"
            " where addressid = 1",
            "person.address",
        ),
        (
            "update raw.production_product set standardcost = 0.0002 where productid = 2",
            "production.product",
        ),
        (
            "update raw.person_countryregion set name = 'nowhere' where countryregioncode = ''",
            "person.countryregion",
        ),
    ],
)
def test_a_changed_value_in_raw_is_one_differing_row(
    tricky_source: Settings, raw_change: str, table: str
) -> None:
    raw_sql(tricky_source, raw_change)
    assert {r.table: r.differing_rows for r in reconcile(tricky_source) if not r.clean} == {
        table: 1
    }


def test_duplicate_raw_rows_are_not_clean(tricky_source: Settings) -> None:
    raw_sql(tricky_source, "insert into raw.sales_customer select * from raw.sales_customer")
    customer = by_table(reconcile(tricky_source, tables="sales.customer"))["sales.customer"]
    assert (customer.duplicate_keys, customer.warehouse_rows, customer.clean) == (1, 2, False)


def test_a_table_missing_from_raw_counts_all_its_keys_missing(tricky_source: Settings) -> None:
    raw_sql(tricky_source, "drop table raw.person_address")
    (address,) = reconcile(tricky_source, tables=["person.address"])
    assert (address.in_warehouse, address.missing_keys, address.clean) == (False, 3, False)
    assert address.describe() == "not in the warehouse"


def test_delete_detection_is_a_no_op_before_the_first_sync(source_settings: Settings) -> None:
    with server.connect(source_settings) as conn:
        schema.create_schema(conn)
        with open_warehouse(source_settings) as warehouse:
            assert detect_deletes(conn, warehouse, DETAIL) == 0


def test_reconcile_before_any_sync_says_to_sync_first(source_settings: Settings) -> None:
    with pytest.raises(WarehouseError, match="run 'adventure-elt sync' first"):
        reconcile(source_settings)


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    assert settings.source_dsn is not None
    options = ["--source-dsn", settings.source_dsn, "--duckdb-path", str(settings.duckdb_path)]
    command = [sys.executable, "-m", "adventure_elt", *options, "reconcile", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_cli_reconcile_exit_codes_and_json(tricky_source: Settings) -> None:
    clean = _cli(tricky_source, "--json")
    assert clean.returncode == 0, clean.stderr
    rows = json.loads(clean.stdout)
    assert [r["table"] for r in rows] == [t.qualified_name for t in TABLES]
    assert set(rows[0]) == {
        "table",
        "source_rows",
        "warehouse_rows",
        "missing_keys",
        "extra_keys",
        "differing_rows",
        "duplicate_keys",
        "dropped_columns",
        "clean",
        "in_warehouse",
        "columns_compared",
        "examples",
        "seconds",
        "compared_by",
    }
    assert all(r["clean"] for r in rows)

    source_sql(tricky_source, "update person.address set city = 'Tacoma' where addressid = 1")
    table = _cli(tricky_source, "--tables", "person.address,sales.customer")
    assert table.returncode == 1
    assert "person.address" in table.stdout and "sales.customer" in table.stdout
    assert table.stderr.strip().splitlines() == [
        "error: reconcile found differences in 1 of 2 tables: person.address (1 differing row);"
        " run `adventure-elt sync --detect-deletes`, or `--full-refresh --tables <table>`"
    ]
    as_json = _cli(tricky_source, "--tables", "person.address", "--json")
    assert as_json.returncode == 1
    (address,) = json.loads(as_json.stdout)
    assert address["differing_rows"] == 1
    assert address["examples"] == {"differing": [{"addressid": 1}]}


def test_cli_reconcile_rejects_an_unknown_table(tricky_source: Settings) -> None:
    result = _cli(tricky_source, "--tables", "sales.nope")
    assert result.returncode == 2
    assert "unknown table 'sales.nope'" in result.stderr


# ----------------------------------------------------------------------------- through `sync`


@pytest.fixture
def synced(source_settings: Settings) -> Settings:
    """A small synthetic source (scale 0.02) replicated by the real `sync`."""
    from adventure_elt.oltp.generator import seed
    from adventure_elt.replicate.sync import sync

    with server.connect(source_settings) as conn:
        seed(conn, scale=0.02, seed=4)
    sync(source_settings)
    return source_settings


@pytest.mark.parametrize("mode", ["hard", "soft"])
def test_activity_then_sync_with_delete_detection_reconciles_clean(
    synced: Settings, mode: str
) -> None:
    from adventure_elt.oltp.activity import run_activity
    from adventure_elt.replicate.sync import sync

    settings = dataclasses.replace(synced, delete_mode=mode)
    (order,) = raw_sql(settings, "select min(salesorderid) from raw.sales_salesorderheader")[0]
    lines = raw_sql(
        settings, f"select count(*) from raw.sales_salesorderdetail where salesorderid = {order}"
    )[0][0]
    source_sql(settings, "delete from sales.salesorderheader where salesorderid = %s", (order,))
    counts = run_activity(
        settings, orders_per_minute=600, duration=timedelta(seconds=10), seed=3, wait=False
    )
    assert counts.orders_created and counts.status_changes
    assert not_clean(reconcile(settings))  # the sync has not seen the changes yet

    summary = sync(settings, detect_deletes=True)

    assert not_clean(reconcile(settings)) == {}
    deleted = {t.table: t.deleted for t in summary.tables}
    assert deleted["sales.salesorderheader"] >= 1
    assert deleted["sales.salesorderdetail"] >= lines
    kept = raw_sql(
        settings,
        f"select count(*) from raw.sales_salesorderheader where salesorderid = {order}",
    )
    # Hard: the row is gone. Soft: it stays, flagged (and reconcile above ignored it).
    assert kept == ([(0,)] if mode == "hard" else [(1,)])
