"""The semantic query compiler: SQL for DuckDB and BigQuery, fan-out safety, bad queries.

Figures are checked on small hand-made marts (tests/unit/semantic_marts.py) where the expected
numbers can be worked out by hand:

====== ========== ======== ========= ======== ============================ =========
order  date       customer ship-to   status   lines (product × qty × price) freight
====== ========== ======== ========= ======== ============================ =========
1      2013-01-05 1        Canada    Shipped  bike 1 × 200, helmet 2 × 50    7.50
2      2013-01-20 2        France    Shipped  helmet 1 × 50                  1.25
3      2013-02-03 1        Canada    In proc. bike 1 × 134 at 10 % off      3.00
4      2013-03-01 3        Germany   Shipped  (no lines)                     2.00
====== ========== ======== ========= ======== ============================ =========
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from semantic_marts import Line, Order, Session, build_marts
from typer.testing import CliRunner

from adventure_elt import query
from adventure_elt.cli import app
from adventure_elt.errors import WarehouseError
from adventure_elt.semantic import QueryError, SemanticModel, compile_query, load_model
from adventure_elt.settings import Settings

D = Decimal
ORDERS = [
    Order(1, date(2013, 1, 5), customer=1, address=10, freight=D("7.50"), tax=D("24")),
    Order(2, date(2013, 1, 20), customer=2, address=20, freight=D("1.25"), tax=D("4")),
    Order(3, date(2013, 2, 3), customer=1, address=10, status=1, freight=D("3.00")),
    Order(4, date(2013, 3, 1), customer=3, address=30, freight=D("2.00"), online=False),
]
LINES = [
    Line(1, 1, product=100, qty=1, price=D("200")),
    Line(1, 2, product=200, qty=2, price=D("50")),
    Line(2, 3, product=200, qty=1, price=D("50")),
    Line(3, 4, product=100, qty=1, price=D("134"), discount=D("0.1")),
]
SESSIONS = [
    Session("s1", "Canada", page_views=5, orders=1, order_value=D("99.00")),
    Session("s2", "Canada", page_views=3),
    Session("s3", "Germany", page_views=4),
]


@pytest.fixture(scope="module")
def model() -> SemanticModel:
    return load_model()


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("semantic")
    build_marts(folder / "warehouse.duckdb", ORDERS, LINES, SESSIONS)
    return Settings(duckdb_path=folder / "warehouse.duckdb", home=folder)


def rows(table: Any) -> list[dict[str, Any]]:
    return list(table.to_pylist())


# ----------------------------------------------------------------------------- both engines

CASES: list[tuple[list[str], list[str], list[str]]] = [
    (["revenue"], [], []),
    (["revenue", "orders"], ["product.category"], ["order_date >= '2013-01-01'"]),
    (["units"], ["product.category", "product.subcategory"], ["geography.country = 'Canada'"]),
    (["avg_order_value", "avg_spend_per_customer"], ["order_date.month"], []),
    (["new_customers"], ["order_date.week"], []),
    (["orders"], ["order_date.quarter", "order_status.status"], ["sales_channel.is_online"]),
    (["freight", "total_due"], ["order_date.year", "country"], ["is_shipped or not is_shipped"]),
    (["revenue", "freight"], ["geography.country"], ["country in ('Canada', 'France')"]),
    (["revenue", "freight", "avg_order_value"], ["order_date.month"], ["revenue > 0"]),
    (["visits", "revenue"], ["country"], []),
    (["conversion_rate", "web_order_value"], ["web_traffic.started_at.day"], []),
    (["customer_count"], ["customer.type"], ["customer.first_order_date is not null"]),
    ([], ["product.category"], []),
]


@pytest.mark.parametrize("target", ["duckdb", "bigquery"])
@pytest.mark.parametrize(("measures", "dimensions", "where"), CASES)
def test_compiled_sql_parses_in_the_target_dialect(
    model: SemanticModel,
    settings: Settings,
    target: str,
    measures: list[str],
    dimensions: list[str],
    where: list[str],
) -> None:
    sql = compile_query(model, measures, dimensions, where, [], 5, target=target)

    statement = sqlglot.parse_one(sql, read=target)
    assert isinstance(statement, sqlglot.exp.Select)
    expected = [d.replace(".", "_") for d in dimensions] + measures
    assert statement.named_selects == expected
    if target == "duckdb":
        result = query(measures, dimensions, where, [], 5, settings)
        assert result.column_names == expected


def test_engine_specific_sql(model: SemanticModel) -> None:
    week = ["order_date.week"]
    bigquery = compile_query(model, ["avg_order_value"], week, target="bigquery")
    duckdb_sql = compile_query(model, ["avg_order_value"], week, target="duckdb")

    # weeks start on Monday on both engines (plain WEEK is Sunday-based in BigQuery)
    assert (
        "MOD(DATE_DIFF(CAST(sales.order_date AS DATE), CAST('1900-01-01' AS DATE), DAY), 7)"
        in bigquery
    )
    assert "DATE_TRUNC('WEEK', sales.order_date)" in duckdb_sql
    # a derived ratio never fails on zero: SAFE_DIVIDE, or a CASE on DuckDB
    assert "SAFE_DIVIDE(revenue, COALESCE(orders, 0))" in bigquery
    assert "CASE WHEN COALESCE(orders, 0) <> 0" in duckdb_sql


def test_relation_hook_names_the_tables(model: SemanticModel) -> None:
    sql = compile_query(
        model,
        ["revenue"],
        ["product.category"],
        target="bigquery",
        relation=lambda layer, name: f"`my-project`.prod_{layer}.{name}",
    )

    assert "`my-project`.prod_marts.fct_sales AS sales" in sql
    assert "`my-project`.prod_marts.dim_product AS product" in sql


# ----------------------------------------------------------------------------- figures


def test_revenue_by_category_in_a_date_range(settings: Settings) -> None:
    table = query(
        measures=["revenue", "orders", "units"],
        dimensions=["product.category"],
        where=["order_date >= '2013-01-10'"],
        order_by=["-revenue"],
        settings=settings,
    )

    assert str(table.schema.field("units").type) == "int64"
    assert rows(table) == [
        {"product_category": "Bikes", "revenue": D("120.6"), "orders": 1, "units": 1},
        {"product_category": "Accessories", "revenue": D("50"), "orders": 1, "units": 1},
    ]


def test_line_and_order_measures_do_not_double_count(settings: Settings) -> None:
    """Freight is on orders, revenue on lines: order 1 has two lines but one freight."""
    table = query(
        ["revenue", "freight", "orders", "order_count", "avg_order_value"],
        ["geography.country"],
        settings=settings,
    )

    assert rows(table) == [
        {"geography_country": "Canada", "revenue": D("420.6"), "freight": D("10.50"),
         "orders": 2, "order_count": 2, "avg_order_value": pytest.approx(210.3)},
        {"geography_country": "France", "revenue": D("50"), "freight": D("1.25"),
         "orders": 1, "order_count": 1, "avg_order_value": pytest.approx(50.0)},
        # an order without lines: freight and a header, no revenue, no orders with lines
        {"geography_country": "Germany", "revenue": None, "freight": D("2.00"),
         "orders": 0, "order_count": 1, "avg_order_value": None},
    ]  # fmt: skip
    totals = rows(query(["revenue", "freight", "total_due", "tax"], settings=settings))
    assert totals == [
        {"revenue": D("470.6"), "freight": D("13.75"), "total_due": D("512.35"), "tax": D("28")}
    ]


def test_time_grains_and_new_customers(settings: Settings) -> None:
    monthly = query(
        ["new_customers", "customers", "revenue", "freight"],
        ["order_date.month"],
        settings=settings,
    )
    weekly = query(["orders"], ["order_date"], grain="week", settings=settings)

    assert rows(monthly) == [
        {"order_date_month": date(2013, 1, 1), "new_customers": 2, "customers": 2,
         "revenue": D("350"), "freight": D("8.75")},
        {"order_date_month": date(2013, 2, 1), "new_customers": 0, "customers": 1,
         "revenue": D("120.6"), "freight": D("3.00")},
        {"order_date_month": date(2013, 3, 1), "new_customers": 0, "customers": 0,
         "revenue": None, "freight": D("2.00")},
    ]  # fmt: skip
    # ISO weeks start on Monday: 2013-01-05 is a Saturday, 2013-01-20 a Sunday
    assert rows(weekly) == [
        {"order_date_week": date(2012, 12, 31), "orders": 1},
        {"order_date_week": date(2013, 1, 14), "orders": 1},
        {"order_date_week": date(2013, 1, 28), "orders": 1},
    ]


def test_visits_and_revenue_by_country_from_two_facts(settings: Settings) -> None:
    table = query(["visits", "sessions", "web_order_value", "revenue"], ["country"],
                  settings=settings)  # fmt: skip

    assert rows(table) == [
        {"country": "Canada", "visits": 8, "sessions": 2, "web_order_value": D("99"),
         "revenue": D("420.6")},
        {"country": "France", "visits": None, "sessions": 0, "web_order_value": None,
         "revenue": D("50")},
        {"country": "Germany", "visits": 4, "sessions": 1, "web_order_value": D("0"),
         "revenue": None},
    ]  # fmt: skip


def test_filters_on_measures_order_and_limit(settings: Settings) -> None:
    table = query(
        ["revenue"],
        ["customer.name"],
        where=["revenue > 60", "customer.type = 'Individual'"],
        order_by=["-revenue"],
        limit=1,
        settings=settings,
    )
    values = query([], ["order_status.status"], where=["order_status.code <= 2"],
                   settings=settings)  # fmt: skip

    assert rows(table) == [{"customer_name": "Ana Bell", "revenue": D("420.6")}]
    assert rows(values) == [
        {"order_status_status": "Approved"},
        {"order_status_status": "In process"},
    ]


def test_ties_in_the_order_are_broken_by_the_dimensions(
    model: SemanticModel, settings: Settings
) -> None:
    # Bike World and Carl Diaz have one order each: a limit must cut the same one every run.
    fewest = query(["orders"], ["customer.name"], order_by=["orders"], limit=1, settings=settings)
    most = query(["orders"], ["customer.name"], order_by=["-orders"], limit=2, settings=settings)
    sql = compile_query(model, ["orders"], ["customer.name"], [], ["-orders"], 2, target="duckdb")

    assert rows(fewest) == [{"customer_name": "Bike World", "orders": 1}]
    assert [r["customer_name"] for r in rows(most)] == ["Ana Bell", "Bike World"]
    assert re.search(r"ORDER BY\s+orders DESC,\s+customer_name ASC\s+LIMIT 2", sql)


def test_query_before_transform_says_what_to_run(tmp_path: Path) -> None:
    settings = Settings(duckdb_path=tmp_path / "empty.duckdb", home=tmp_path)
    build_marts(settings.duckdb_path, [], [])
    with duckdb.connect(str(settings.duckdb_path)) as con:
        con.execute("drop table marts.fct_sales")

    with pytest.raises(WarehouseError, match=r"marts\.fct_sales.*adventure-elt transform"):
        query(["revenue"], settings=settings)


# ----------------------------------------------------------------------------- bad queries


@pytest.mark.parametrize(
    ("measures", "dimensions", "where", "order_by", "message"),
    [
        (["revenu"], [], [], [], r"unknown measure 'revenu'; did you mean revenue"),
        (
            ["revenue"],
            ["product.categry"],
            [],
            [],
            r"no dimension 'categry'; did you mean category",
        ),
        (["revenue"], ["colour"], [], [], r"unknown dimension 'colour'"),
        (
            ["freight"],
            ["product.category"],
            [],
            [],
            r"'product.category' is not reachable from view 'orders'",
        ),
        (
            ["revenue", "freight"],
            [],
            ["product.category = 'Bikes'"],
            [],
            r"where .*not reachable from view 'orders'",
        ),
        (
            ["revenue"],
            ["started_at"],
            [],
            [],
            r"only web_traffic.started_at, web_traffic_live.started_at has it",
        ),
        (["revenue"], [], ["order_date >="], [], r"where 'order_date >=': cannot parse"),
        (["revenue"], [], ["order_date in (select 1)"], [], r"filter not allowed: a subquery in"),
        (["revenue"], [], ["revenue > 1 and country = 'x'"], [], r"mixes measures and dimensions"),
        (["revenue"], ["product.category.month"], [], [], r"takes no grain"),
        (["revenue"], ["order_date.hour"], [], [], r"no grain 'hour'; use one of day, week"),
        (["revenue"], [], [], ["-freight"], r"order by 'freight': not among the requested"),
        ([], [], [], [], r"at least one measure or dimension"),
    ],
)
def test_bad_queries_are_one_line_errors(
    model: SemanticModel,
    measures: list[str],
    dimensions: list[str],
    where: list[str],
    order_by: list[str],
    message: str,
) -> None:
    for target in ("duckdb", "bigquery"):
        with pytest.raises(QueryError, match=message) as caught:
            compile_query(model, measures, dimensions, where, order_by, target=target)
        assert "\n" not in str(caught.value)


# ----------------------------------------------------------------------------- CLI


def test_query_command_prints_a_table_json_and_sql(settings: Settings) -> None:
    base = ["--duckdb-path", str(settings.duckdb_path), "query"]
    runner = CliRunner()

    table = runner.invoke(
        app,
        [
            *base,
            "revenue",
            "orders",
            "--by",
            "product.category",
            "--where",
            "order_date >= '2013-01-01'",
            "--order",
            "-revenue",
        ],
    )
    as_json = runner.invoke(
        app, [*base, "freight", "--by", "order_date", "--grain", "month", "--limit", "2", "--json"]
    )
    sql = runner.invoke(app, [*base, "revenue", "--by", "country", "--sql",
                              "--target", "bigquery"])  # fmt: skip
    listing = runner.invoke(app, [*base, "--list", "--json"])

    assert table.exit_code == 0, table.output
    assert table.stdout.index("Bikes") < table.stdout.index("Accessories")
    assert "320.60" in table.stdout and "150.00" in table.stdout
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == [
        {"order_date_month": "2013-01-01", "freight": 8.75},
        {"order_date_month": "2013-02-01", "freight": 3.0},
    ]
    assert sql.exit_code == 0, sql.output
    assert "geography.country_name AS country" in sql.stdout
    catalog = json.loads(listing.stdout)
    revenue = next(m for m in catalog["measures"] if m["name"] == "revenue")
    assert revenue["label"] == "Revenue" and revenue["format"] == "money"
    month = next(d for d in catalog["dimensions"] if d["name"] == "sales.order_date")
    assert month["grains"] == ["day", "week", "month", "quarter", "year"]


def test_query_csv_prints_years_as_years_and_money_exact(settings: Settings) -> None:
    base = ["--duckdb-path", str(settings.duckdb_path), "query"]
    runner = CliRunner()

    as_csv = runner.invoke(app, [*base, "revenue", "--by", "order_date.year", "--csv"])
    table = runner.invoke(app, [*base, "orders", "--by", "order_date", "--grain", "year"])
    both = runner.invoke(app, [*base, "revenue", "--csv", "--json"])

    assert as_csv.exit_code == 0, as_csv.output
    lines = as_csv.stdout.splitlines()
    assert lines[0] == "order_date_year,revenue"
    assert lines[1].startswith("2013,") and "2013-01-01" not in as_csv.stdout
    assert (
        D(lines[1].split(",")[1])
        == rows(query(["revenue"], ["order_date.year"], settings=settings))[0]["revenue"]
    )
    assert table.exit_code == 0, table.output
    assert " 2013 " in table.stdout and "2013-01-01" not in table.stdout
    assert both.exit_code == 2 and "give one" in both.output


def test_query_sql_for_bigquery_names_tables_as_the_console_needs_them(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADVENTURE_ELT_BIGQUERY_PROJECT", "shop-prod")
    monkeypatch.setenv("ADVENTURE_ELT_BIGQUERY_DATASET_PREFIX", "aw")
    sql = CliRunner().invoke(
        app, ["query", "revenue", "--by", "product.category", "--sql", "--warehouse", "bigquery"]
    )

    assert sql.exit_code == 0, sql.output
    assert "FROM `shop-prod.aw_marts.fct_sales` AS sales" in sql.stdout
    assert "JOIN `shop-prod.aw_marts.dim_product` AS product" in sql.stdout


def test_bad_query_exits_2_with_one_line(settings: Settings) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "adventure_elt", "--duckdb-path", str(settings.duckdb_path),
         "query", "freight", "--by", "product.category"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "not reachable from view 'orders'" in result.stderr


def test_filters_built_from_picked_values(settings: Settings) -> None:
    from adventure_elt.semantic.filters import between, equals, is_in

    def revenue(*where: str) -> Any:
        return rows(query(["revenue"], where=list(where), settings=settings))[0]["revenue"]

    assert revenue(is_in("country", ["Canada", "Côte d'Ivoire"])) == D("420.6")
    assert revenue(between("order_date", date(2013, 1, 1), date(2013, 1, 31))) == D("350")
    assert revenue(equals("product.category", "Bikes"), equals("country", "France")) is None
    assert revenue(is_in("country", [])) is None
    recent = "web_traffic.started_at >= timestamp_sub(current_timestamp(), interval 15 minute)"
    assert rows(query(["sessions"], where=[recent], settings=settings)) == [{"sessions": 0}]
