"""The real-time marts on a generated stream: traffic by country joined to sales by ship-to
country, the rolling 15-minute view, the `web_traffic` report key, and reading while ingesting."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from adventure_elt.cli import app
from adventure_elt.oltp import generator, server
from adventure_elt.replicate.sync import sync
from adventure_elt.report import report
from adventure_elt.settings import Settings
from adventure_elt.stream.generator import EventGenerator, event_lines, load_customers
from adventure_elt.stream.ingest import ingest
from adventure_elt.stream.sink import DuckDBSink
from adventure_elt.transform import run_checks, transform

pytestmark = pytest.mark.postgres


@pytest.fixture
def shop(source_settings: Settings) -> Settings:
    """A seeded source, synced and transformed: the star schema is built, no events yet."""
    with server.connect(source_settings) as conn:
        generator.seed(conn, scale=0.02, seed=1)
    sync(source_settings)
    transform(source_settings)
    return source_settings


def warehouse_sql(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_web_traffic_by_country_joins_sales_and_fills_the_report(shop: Settings) -> None:
    assert report(shop)["web_traffic"] == []  # built on a warehouse that never streamed

    customers = load_customers(shop)
    assert customers.origin == "source"
    lines = list(
        line
        for line in event_lines(EventGenerator(seed=5, customers=customers.customers), count=4_000)
        if line
    )
    counts = ingest(io.BytesIO(b"".join(lines)), DuckDBSink(shop.duckdb_path))
    assert counts.loaded == 4_000

    # what the report must say, computed from the lines themselves
    expected: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"visits": 0, "sessions": set(), "orders": 0, "order_value": Decimal(0)}
    )
    for raw in lines:
        event = json.loads(raw)
        row = expected[event["country"]]
        row["visits"] += 1
        row["sessions"].add(event["session_id"])
        row["orders"] += event["order_value"] > 0
        row["order_value"] += Decimal(str(event["order_value"]))

    # the report reads views over the stream: no transform needed after ingesting
    web = report(shop)["web_traffic"]
    assert web == [
        {
            "country": country,
            "visits": row["visits"],
            "sessions": len(row["sessions"]),
            "orders": row["orders"],
            "order_value": float(row["order_value"]),
        }
        for country, row in sorted(expected.items())
    ]
    assert sum(r["orders"] for r in web) > 0

    sales = dict(
        warehouse_sql(
            shop,
            "select a.country_name, sum(s.line_total) from marts.fct_sales as s"
            " join marts.dim_address as a on s.ship_to_address_key = a.address_key group by 1",
        )
    )
    traffic = warehouse_sql(
        shop,
        "select country, visits, sales_revenue, revenue_per_visit, conversion_rate"
        " from reports.rpt_web_traffic",
    )
    for country, visits, revenue, per_visit, conversion in traffic:
        assert revenue == sales[country] > 0, country
        assert abs(float(per_visit) - float(revenue) / visits) < 1e-6
        assert 0 <= conversion < 1

    live = warehouse_sql(shop, "select sum(visits), sum(orders) from reports.rpt_web_traffic_live")
    assert live == [(4_000, sum(r["orders"] for r in web))]

    sessions = warehouse_sql(
        shop,
        "select count(*), count(customer_key), sum(orders) from marts.fct_web_sessions",
    )
    n_sessions, known, orders = sessions[0]
    assert n_sessions == sum(len(row["sessions"]) for row in expected.values())
    assert 0 < known < n_sessions  # real customers join, anonymous visitors do not
    assert orders == sum(r["orders"] for r in web)

    checks = run_checks(shop, select="stg_web__events+")
    assert checks.passed, [r.name for r in checks.failed]


def test_report_json_reads_while_the_stream_is_written(shop: Settings) -> None:
    env = {
        **os.environ,
        "ADVENTURE_ELT_DUCKDB_PATH": str(shop.duckdb_path),
        "ADVENTURE_ELT_SOURCE_DSN": str(shop.source_dsn),
    }
    ingester = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "adventure_elt",
            "stream",
            "run",
            "--rate",
            "2000",
            "--duration",
            "3s",
            "--max-wait",
            "100ms",
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    runner = CliRunner()
    visits: list[int] = []
    while ingester.poll() is None or not visits:
        result = runner.invoke(app, ["--duckdb-path", str(shop.duckdb_path), "report", "--json"])
        assert result.exit_code == 0, result.output
        visits.append(sum(r["visits"] for r in json.loads(result.stdout)["web_traffic"]))
    out, err = ingester.communicate(timeout=60)
    assert ingester.returncode == 0, err.decode()
    counts = json.loads(out)
    assert counts["loaded"] == 6_000
    assert visits == sorted(visits)  # readers see batches arrive, never a half-written one
    assert len(visits) > 3 and visits[0] < 6_000
    final = json.loads(
        runner.invoke(app, ["--duckdb-path", str(shop.duckdb_path), "report", "--json"]).stdout
    )
    assert sum(r["visits"] for r in final["web_traffic"]) == 6_000


def test_report_json_reads_while_sync_writes(shop: Settings) -> None:
    """A sync holds the DuckDB file while dlt loads; readers wait for it instead of failing."""
    env = {
        **os.environ,
        "ADVENTURE_ELT_DUCKDB_PATH": str(shop.duckdb_path),
        "ADVENTURE_ELT_SOURCE_DSN": str(shop.source_dsn),
        "ADVENTURE_ELT_HOME": str(shop.home),
    }
    syncing = subprocess.Popen(
        [sys.executable, "-m", "adventure_elt", "sync", "--full-refresh", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    runner = CliRunner()
    reads = 0
    while syncing.poll() is None or reads == 0:
        result = runner.invoke(app, ["--duckdb-path", str(shop.duckdb_path), "report", "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["customer_summary"]["orders"] > 0
        reads += 1
    _, err = syncing.communicate(timeout=120)
    assert syncing.returncode == 0, err.decode()
    assert reads > 1


def test_sync_and_stream_ingest_write_the_same_warehouse_at_once(shop: Settings) -> None:
    env = {
        **os.environ,
        "ADVENTURE_ELT_DUCKDB_PATH": str(shop.duckdb_path),
        "ADVENTURE_ELT_SOURCE_DSN": str(shop.source_dsn),
        "ADVENTURE_ELT_HOME": str(shop.home),
    }
    stream = ["stream", "run", "--rate", "1000", "--duration", "4s", "--max-wait", "50ms"]
    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "adventure_elt", *args, "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for args in (stream, ["sync", "--full-refresh"])
    ]
    results = [w.communicate(timeout=120) for w in writers]
    for writer, (_, err) in zip(writers, results, strict=True):
        assert writer.returncode == 0, err.decode()
    assert json.loads(results[0][0])["loaded"] == 4_000
