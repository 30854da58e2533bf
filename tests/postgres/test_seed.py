"""`oltp seed`: synthetic data goes into a real PostgreSQL, whose constraints accept it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from adventure_elt.oltp import schema, server
from adventure_elt.oltp.generator import seed
from adventure_elt.settings import Settings

pytestmark = pytest.mark.postgres


def _scalar(settings: Settings, sql: str) -> object:
    with server.connect(settings) as conn, conn.cursor() as cur:
        cur.execute(sql)
        row = cur.fetchone()
        assert row is not None
        return row[0]


def test_seed_loads_rows_that_postgres_constraints_accept(source_settings: Settings) -> None:
    with server.connect(source_settings) as conn:
        counts = seed(conn, scale=0.1, seed=7)
    with server.connect(source_settings) as conn:
        assert schema.row_counts(conn) == counts
    assert counts["sales.salesorderheader"] == 3146
    assert counts["production.product"] == 504
    # The foreign keys were in force while COPY ran: every one of the DDL's 12 is validated.
    assert (
        _scalar(
            source_settings,
            "select count(*) from pg_constraint c join pg_namespace n on n.oid = c.connamespace"
            " where c.contype = 'f' and c.convalidated"
            " and n.nspname in ('person', 'sales', 'production')",
        )
        == 12
    )
    # Money adds up in PostgreSQL's own numeric arithmetic.
    assert (
        _scalar(
            source_settings,
            "select count(*) from sales.salesorderheader"
            " where totaldue <> subtotal + taxamt + freight",
        )
        == 0
    )
    assert (
        _scalar(
            source_settings,
            "select count(*) from sales.salesorderheader h join ("
            "  select salesorderid, round(sum(orderqty * unitprice * (1 - unitpricediscount)), 4) s"
            "  from sales.salesorderdetail group by salesorderid) d using (salesorderid)"
            " where h.subtotal <> d.s",
        )
        == 0
    )


def test_seeding_again_replaces_the_rows(source_settings: Settings) -> None:
    with server.connect(source_settings) as conn:
        seed(conn, scale=0.02, seed=1)
    with server.connect(source_settings) as conn:
        counts = seed(conn, scale=0.01, seed=2)
    with server.connect(source_settings) as conn:
        assert schema.row_counts(conn) == counts


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    assert settings.source_dsn is not None
    command = [sys.executable, "-m", "adventure_elt", "--source-dsn", settings.source_dsn, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def test_cli_seed_prints_the_row_counts(source_settings: Settings) -> None:
    result = _cli(source_settings, "oltp", "seed", "--scale", "0.1", "--seed", "3", "--json")
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    with server.connect(source_settings) as conn:
        assert schema.row_counts(conn) == counts
    assert counts["sales.customer"] == 1982


def test_cli_seed_rejects_a_bad_scale_with_one_line(source_settings: Settings) -> None:
    result = _cli(source_settings, "oltp", "seed", "--scale", "-1")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "scale must be" in result.stderr and "Traceback" not in result.stderr
