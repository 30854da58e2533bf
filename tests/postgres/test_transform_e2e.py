"""End to end through the real pipeline: source → sync → transform → test → report.

The report's figures are checked against figures computed independently of the pipeline: from
the CSV files with DuckDB's `read_csv` (real data), or from the source PostgreSQL tables
(synthetic data). Then live shop activity is replicated and the incremental fact must equal a
full rebuild while the merge wrote only the rows that changed.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import Result
from typer.testing import CliRunner

from adventure_elt.cli import app
from adventure_elt.oltp import server
from adventure_elt.oltp.activity import run_activity
from adventure_elt.oltp.generator import seed
from adventure_elt.replicate.sync import sync
from adventure_elt.report import report
from adventure_elt.semantic.query import query
from adventure_elt.settings import Settings
from adventure_elt.transform import run_checks, transform

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

CENT = Decimal("0.01")
STATUS_NAMES = {
    1: "In process",
    2: "Approved",
    3: "Backordered",
    4: "Rejected",
    5: "Shipped",
    6: "Cancelled",
}


def cents(value: Decimal) -> float:
    """Money as the report prints it: rounded half-up to cents."""
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def cli(settings: Settings, *args: str) -> Result:
    """Run one `adventure-elt` command in-process against the test's source and warehouse."""
    assert settings.source_dsn is not None
    options = ["--source-dsn", settings.source_dsn, "--duckdb-path", str(settings.duckdb_path)]
    options += ["--home", str(settings.home)]
    result = CliRunner().invoke(app, [*options, *args])
    assert result.exit_code == 0, f"{' '.join(args)} failed: {result.output}{result.exception}"
    return result


# ----------------------------------------------------------------------------- real data


def csv_figures(folder: Path) -> dict[str, Any]:
    """The five figures straight from the CSV files, with exact decimals (no pipeline tables)."""
    con = duckdb.connect()

    def read(table: str, columns: str) -> None:
        path = str(folder / f"{table}.csv.gz").replace("'", "''")
        name = table.split(".")[1]
        # all_varchar: no type sniffing; every value is cast explicitly below
        con.execute(
            f"create view {name} as select {columns}"
            f" from read_csv('{path}', header = true, all_varchar = true)"
        )

    read(
        "sales.salesorderdetail",
        "salesorderid::bigint as order_id, productid::bigint as product_id,"
        " orderqty::bigint as qty, unitprice::decimal(19, 4) as price,"
        " unitpricediscount::decimal(19, 4) as discount",
    )
    read(
        "sales.salesorderheader",
        "salesorderid::bigint as order_id, customerid::bigint as customer_id,"
        " orderdate::timestamp as order_date, shiptoaddressid::bigint as ship_to",
    )
    read(
        "production.product",
        "productid::bigint as product_id, productsubcategoryid::bigint as subcategory_id",
    )
    read(
        "production.productsubcategory",
        "productsubcategoryid::bigint as subcategory_id, productcategoryid::bigint as category_id,"
        " name as subcategory",
    )
    read("production.productcategory", "productcategoryid::bigint as category_id, name as category")
    read("person.address", "addressid::bigint as address_id, stateprovinceid::bigint as state_id")
    read(
        "person.stateprovince",
        "stateprovinceid::bigint as state_id, countryregioncode as country_code",
    )
    read("person.countryregion", "countryregioncode as country_code, name as country")

    line_total = "salesorderdetail.qty * salesorderdetail.price * (1 - salesorderdetail.discount)"

    def rows(sql: str) -> list[tuple[Any, ...]]:
        return con.execute(sql).fetchall()

    by_subcategory = rows(
        f"select category, subcategory, sum({line_total}) from salesorderdetail"
        " join product using (product_id)"
        " join productsubcategory using (subcategory_id)"
        " join productcategory using (category_id) group by all"
    )
    ((revenue, orders),) = rows(
        f"select sum({line_total}), count(distinct order_id) from salesorderdetail"
    )
    # the pipeline counts customers and orders that have lines; so does this
    with_lines = (
        "(select * from salesorderheader"
        " where order_id in (select order_id from salesorderdetail)) as header"
    )
    ((customers,),) = rows(f"select count(distinct customer_id) from {with_lines}")
    new_per_year = rows(
        "select year(first_order), count(*) from (select customer_id,"
        f" min(order_date) as first_order from {with_lines} group by customer_id) group by all"
    )
    orders_per_country = rows(
        f"select country, count(distinct order_id) from {with_lines}"
        " join address on ship_to = address_id join stateprovince using (state_id)"
        " join countryregion using (country_code) group by all"
    )
    con.close()
    per_category: dict[str, Decimal] = defaultdict(Decimal)
    for category, _, amount in by_subcategory:
        per_category[category] += amount
    return {
        "revenue": revenue,
        "orders": orders,
        "customers_with_orders": customers,
        "revenue_per_subcategory": {(c, s): amount for c, s, amount in by_subcategory},
        "revenue_per_category": dict(per_category),
        "new_customers_per_year": dict(new_per_year),
        "orders_per_country": dict(orders_per_country),
    }


def test_real_data_report_equals_figures_computed_from_the_csv_files(
    source_settings: Settings, adventureworks_dir: Path
) -> None:
    settings = source_settings
    cli(settings, "oltp", "load-csv", str(adventureworks_dir))
    cli(settings, "sync")
    cli(settings, "transform")
    checks = json.loads(cli(settings, "test", "--json").stdout)
    assert checks["passed"] and checks["checks"] > 50, [
        r for r in checks["results"] if not r["passed"]
    ]
    document = json.loads(cli(settings, "report", "--json").stdout)

    expected = csv_figures(adventureworks_dir)
    # The CSV computation itself reproduces the data set's published figures.
    assert expected["revenue"] == Decimal("109846381.399888")
    assert expected["orders"] == 31_465 and expected["customers_with_orders"] == 19_119

    summary = document["customer_summary"]
    assert summary["revenue"] == cents(expected["revenue"])
    assert summary["orders"] == expected["orders"]
    assert summary["customers_with_orders"] == expected["customers_with_orders"]
    assert summary["avg_order_value"] == cents(expected["revenue"] / expected["orders"])

    sales = document["product_sales"]
    assert {(r["category"], r["subcategory"]): r["revenue"] for r in sales} == {
        key: cents(amount) for key, amount in expected["revenue_per_subcategory"].items()
    }
    per_category: dict[str, float] = defaultdict(float)
    for row in sales:
        per_category[row["category"]] += row["revenue"]
    assert set(per_category) == set(expected["revenue_per_category"])
    for category, amount in expected["revenue_per_category"].items():
        # the report rounds each subcategory to cents: at most half a cent each
        assert per_category[category] == pytest.approx(float(amount), abs=0.005 * len(sales))

    new_per_year: dict[int, int] = defaultdict(int)
    for row in document["new_customers"]:
        new_per_year[row["year"]] += row["new_customers"]
    assert dict(new_per_year) == expected["new_customers_per_year"]

    per_country: dict[str, int] = defaultdict(int)
    for row in document["geography"]:
        per_country[row["country"]] += row["orders"]
    assert dict(per_country) == expected["orders_per_country"]
    assert document["warehouse"] == "duckdb" and "web_traffic" in document


# ----------------------------------------------------------------------------- synthetic data


def source_figures(settings: Settings) -> tuple[Decimal, dict[str, tuple[int, Decimal]]]:
    """Total revenue and (orders, revenue) per status, straight from the source PostgreSQL."""
    with server.connect(settings) as conn, conn.cursor() as cur:
        cur.execute(
            "select h.status, count(distinct h.salesorderid),"
            " sum(d.orderqty * d.unitprice * (1 - d.unitpricediscount))"
            " from sales.salesorderdetail d"
            " join sales.salesorderheader h using (salesorderid) group by h.status"
        )
        per_status = {STATUS_NAMES[int(s)]: (int(n), Decimal(v)) for s, n, v in cur.fetchall()}
    return sum((v for _, v in per_status.values()), Decimal(0)), per_status


def fct_sales_rows(path: Path) -> set[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return set(con.execute("select * from marts.fct_sales").fetchall())


@pytest.fixture
def synthetic(source_settings: Settings) -> Settings:
    with server.connect(source_settings) as conn:
        seed(conn, scale=0.1, seed=7)
    return source_settings


def test_synthetic_data_then_live_activity_merges_only_what_changed(
    synthetic: Settings, tmp_path: Path
) -> None:
    settings = synthetic
    # (b) the whole pipeline on synthetic data, every status present
    cli(settings, "sync")
    cli(settings, "transform")
    cli(settings, "test")
    document = json.loads(cli(settings, "report", "--json").stdout)
    revenue, per_status = source_figures(settings)
    assert document["customer_summary"]["revenue"] == cents(revenue)
    assert {r["status"]: (r["orders"], r["revenue"]) for r in document["order_status"]} == {
        status: (orders, cents(amount)) for status, (orders, amount) in per_status.items()
    }
    assert set(per_status) == set(STATUS_NAMES.values())  # not only "Shipped"

    # (c) live activity, replicated with deletes, then an incremental transform
    before = tmp_path / "before.duckdb"
    shutil.copy(settings.duckdb_path, before)
    years_before = orders_per_year(settings)
    counts = run_activity(
        settings, orders_per_minute=600, duration=timedelta(seconds=30), seed=1, wait=False
    )
    assert counts.orders_created == 300 and counts.status_changes > 0 and counts.orders_deleted
    sync(settings, detect_deletes=True)
    summary = transform(settings)
    run = next(m for m in summary.models if m.model == "marts.fct_sales")
    assert run.materialized == "incremental" and not run.full_refresh

    # the same raw data rebuilt from scratch in a second warehouse
    rebuilt = Settings(duckdb_path=tmp_path / "rebuilt.duckdb", home=tmp_path)
    shutil.copy(settings.duckdb_path, rebuilt.duckdb_path)
    transform(rebuilt, select="+fct_sales", full_refresh=True)
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        con.execute(f"attach '{rebuilt.duckdb_path}' as rebuilt (read_only)")
        differences = con.execute(
            "select count(*) from ((from marts.fct_sales except all from rebuilt.marts.fct_sales)"
            " union all (from rebuilt.marts.fct_sales except all from marts.fct_sales))"
        ).fetchone()
    assert differences == (0,)

    # the merge wrote exactly the rows that differ from before the activity, nothing else
    old, new = fct_sales_rows(before), fct_sales_rows(settings.duckdb_path)
    old_keys, new_keys = {r[:2] for r in old}, {r[:2] for r in new}
    assert run.deleted == len(old_keys - new_keys) > 0
    assert run.inserted == len(new_keys - old_keys) > 0
    assert run.updated == len({r[:2] for r in new - old} & old_keys) > 0
    assert run.inserted + run.updated + run.deleted < len(new) / 10
    assert run.rows == len(new)

    # and the report follows the source again
    revenue, _ = source_figures(settings)
    assert report(settings)["customer_summary"]["revenue"] == cents(revenue)
    assert run_checks(settings).passed

    # the activity continued the data's timeline: new orders in its last year, no new year
    years_after = orders_per_year(settings)
    assert set(years_after) == set(years_before) and max(years_before) == "2014"
    assert years_after["2014"] > years_before["2014"]


def orders_per_year(settings: Settings) -> dict[str, int]:
    """Orders by year of order date, as the semantic layer answers it."""
    rows = query(["orders"], ["order_date.year"], settings=settings).to_pylist()
    return {str(row["order_date_year"])[:4]: row["orders"] for row in rows}
