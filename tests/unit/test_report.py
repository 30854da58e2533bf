"""`report` and `report --json`: the five answers' document, and its figures on the real data.

The real-data test loads the CSV files straight into a `raw` layer shaped like the sync's (the
RAW contract: integers BIGINT, money DECIMAL(38,9), timestamps naive), runs every model through the
transform runner and its checks, and compares the report with figures computed independently from
the CSV files with DuckDB's read_csv.
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from semantic_marts import Line, Order, build_marts
from typer.testing import CliRunner

from adventure_elt import report
from adventure_elt.cli import app
from adventure_elt.errors import WarehouseError
from adventure_elt.settings import Settings

SOURCE_DDL = Path(__file__).resolve().parents[2] / "sql" / "source"
KEYS = {
    "as_of",
    "warehouse",
    "product_sales",
    "new_customers",
    "customer_summary",
    "order_status",
    "geography",
    "web_traffic",
}


def _settings(tmp_path: Path) -> Settings:
    return Settings(duckdb_path=tmp_path / "warehouse.duckdb", home=tmp_path)


def _build_reports(path: Path) -> None:
    """Marts with hand-made rows, as the transform would leave them (the report asks the
    semantic layer, which reads the marts): three orders shipped to Paris by two customers."""
    orders = [
        Order(1, date(2011, 5, 10), customer=1, address=20),
        Order(2, date(2012, 1, 15), customer=2, address=20),
        Order(3, date(2012, 2, 1), customer=1, address=20, status=1),
    ]
    lines = [
        Line(1, 1, product=100, qty=1, price=Decimal("400.002")),  # Bikes / Road Bikes
        Line(2, 2, product=100, qty=2, price=Decimal("300.0015")),
        Line(3, 3, product=200, qty=1, price=Decimal("34.99")),  # Accessories / Helmets
    ]
    build_marts(path, orders, lines)


def test_report_is_the_documented_json_with_money_rounded_to_cents(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    _build_reports(settings.duckdb_path)

    document = report(settings)

    assert set(document) == KEYS
    assert document["warehouse"] == "duckdb"
    assert document["product_sales"] == [
        {"category": "Accessories", "subcategory": "Helmets", "orders": 1, "units": 1,
         "revenue": 34.99},
        {"category": "Bikes", "subcategory": "Road Bikes", "orders": 2, "units": 3,
         "revenue": 1000.01},
    ]  # fmt: skip
    assert [(r["year"], r["month"]) for r in document["new_customers"]] == [(2011, 5), (2012, 1)]
    assert document["customer_summary"] == {
        "customers_with_orders": 2,
        "orders": 3,
        "revenue": 1035.0,
        "avg_order_value": 345.0,
        "avg_spend_per_customer": 517.5,
    }
    assert [r["status"] for r in document["order_status"]] == ["In process", "Shipped"]
    assert document["web_traffic"] == []


def test_report_json_command_prints_the_document(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    _build_reports(settings.duckdb_path)

    result = CliRunner().invoke(
        app, ["--duckdb-path", str(settings.duckdb_path), "report", "--json"]
    )

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) == KEYS
    assert document["geography"][0]["city"] == "Paris"
    tables = CliRunner().invoke(app, ["--duckdb-path", str(settings.duckdb_path), "report"])
    assert tables.exit_code == 0
    assert "Orders by ship-to city" in tables.stdout and "Paris" in tables.stdout


def test_report_before_transform_says_what_to_run(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    duckdb.connect(str(settings.duckdb_path)).close()

    with pytest.raises(WarehouseError, match="adventure-elt transform"):
        report(settings)


# ----------------------------------------------------------------------------- real data


def _raw_type(pg_type: str) -> str:
    pg_type = pg_type.lower()
    if pg_type.startswith(("integer", "smallint", "bigint", "serial")):
        return "BIGINT"
    if pg_type.startswith(("numeric", "decimal")):
        return "DECIMAL(38,9)"
    if pg_type.startswith("boolean"):
        return "BOOLEAN"
    if pg_type.startswith("timestamp"):
        return "TIMESTAMP"
    return "VARCHAR"  # varchar, char(n), uuid, xml; bytea kept as its text form here


def _load_raw(con: duckdb.DuckDBPyConnection, data: Path) -> None:
    """Every CSV into raw.<schema>_<table>, typed as the RAW contract says the sync writes it."""
    con.execute("create schema raw")
    for ddl in sorted(SOURCE_DDL.glob("*.sql")):
        body = ddl.read_text().split("(", 1)[1].split("\n);")[0]
        types = {
            m.group(1): _raw_type(m.group(2))
            for m in re.finditer(r"^\s+([a-z_0-9]+)\s+([a-z]+)", body, re.MULTILINE)
        }
        csv_file = data / f"{ddl.stem}.csv.gz"
        with gzip.open(csv_file, "rt", encoding="utf-8") as f:
            header = f.readline().strip().split(",")
        columns = ", ".join(f"'{c}': '{types[c]}'" for c in header)
        con.execute(
            f"create table raw.{ddl.stem.replace('.', '_')} as select *,"
            " now() as _extracted_at, 'test' as _dlt_load_id, uuid()::varchar as _dlt_id"
            f" from read_csv('{csv_file}', header = true, delim = ',', quote = '\"',"
            f" columns = {{{columns}}})"
        )


def _independent_figures(data: Path) -> dict[str, object]:
    """The answers computed from the CSV files alone, without the pipeline's tables."""
    con = duckdb.connect()
    for name in ("salesorderheader", "salesorderdetail", "product", "productsubcategory",
                 "productcategory", "address", "stateprovince", "countryregion"):  # fmt: skip
        schema = {"address": "person", "stateprovince": "person", "countryregion": "person"}.get(
            name, "sales" if name.startswith("sales") else "production"
        )
        con.execute(
            f"create view {name} as select * from read_csv('{data}/{schema}.{name}.csv.gz',"
            " header = true, all_varchar = true)"
        )
    line = (
        "d.orderqty::int * d.unitprice::decimal(38, 4) * (1 - d.unitpricediscount::decimal(38, 4))"
    )
    revenue, orders, customers = con.execute(
        f"select sum({line}), count(distinct d.salesorderid), count(distinct h.customerid)"
        " from salesorderdetail as d join salesorderheader as h using (salesorderid)"
    ).fetchone()  # type: ignore[misc]
    by_category = dict(
        con.execute(
            f"select coalesce(c.name, '(none)'), sum({line}) from salesorderdetail as d"
            " join product as p using (productid)"
            " left join productsubcategory as s using (productsubcategoryid)"
            " left join productcategory as c on c.productcategoryid = s.productcategoryid"
            " group by 1"
        ).fetchall()
    )
    new_per_year = dict(
        con.execute(
            "select y, count(*) from (select customerid, min(year(orderdate::timestamp)) as y"
            " from salesorderheader group by 1) group by 1"
        ).fetchall()
    )
    orders_per_country = dict(
        con.execute(
            "select cr.name, count(*) from salesorderheader as h"
            " join address as a on a.addressid = h.shiptoaddressid"
            " join stateprovince as sp using (stateprovinceid)"
            " join countryregion as cr on cr.countryregioncode = sp.countryregioncode"
            " group by 1"
        ).fetchall()
    )
    return {
        "revenue": revenue,
        "orders": orders,
        "customers": customers,
        "by_category": by_category,
        "new_per_year": new_per_year,
        "orders_per_country": orders_per_country,
    }


@pytest.mark.e2e
def test_models_answer_the_five_questions_on_the_real_data(
    adventureworks_dir: Path, tmp_path: Path
) -> None:
    transform_api = pytest.importorskip("adventure_elt.transform")
    settings = _settings(tmp_path)
    with duckdb.connect(str(settings.duckdb_path)) as con:
        _load_raw(con, adventureworks_dir)

    transform_api.transform(settings)
    checks = transform_api.run_checks(settings)
    document = report(settings)

    assert not checks.failed, [(r.model, r.name, r.error, r.failures) for r in checks.failed]
    expected = _independent_figures(adventureworks_dir)
    summary = document["customer_summary"]
    assert summary["orders"] == expected["orders"] == 31_465
    assert summary["customers_with_orders"] == expected["customers"] == 19_119
    assert summary["revenue"] == pytest.approx(float(expected["revenue"]), abs=0.005)  # type: ignore[arg-type]
    assert summary["revenue"] == 109_846_381.40
    by_category: dict[str, float] = {}
    for row in document["product_sales"]:
        by_category[row["category"]] = by_category.get(row["category"], 0.0) + row["revenue"]
    assert by_category == pytest.approx(
        {k: float(v) for k, v in expected["by_category"].items()},  # type: ignore[attr-defined]
        abs=0.01 * len(document["product_sales"]),
    )
    new_per_year: dict[int, int] = {}
    for row in document["new_customers"]:
        new_per_year[row["year"]] = new_per_year.get(row["year"], 0) + row["new_customers"]
    assert new_per_year == expected["new_per_year"]
    per_country: dict[str, int] = {}
    for row in document["geography"]:
        per_country[row["country"]] = per_country.get(row["country"], 0) + row["orders"]
    assert per_country == expected["orders_per_country"]
    assert document["order_status"] == [
        {"status": "Shipped", "orders": 31_465, "revenue": 109_846_381.40}
    ]
