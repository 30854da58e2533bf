"""Semantic queries on BigQuery (the emulator) return what they return on DuckDB.

One module fixture syncs a small synthetic source into both warehouses and builds the models;
each query of the table below then runs on both engines through `adventure_elt.query`.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from bq_helpers import both_engines, emulator_environment

from adventure_elt.semantic import query
from adventure_elt.settings import Settings

pytestmark = [pytest.mark.postgres, pytest.mark.bigquery, pytest.mark.e2e]


@pytest.fixture(scope="module")
def engines(
    bq_emulator: str, pg_admin_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Settings, Settings]]:
    """(DuckDB, BigQuery) settings, both built from the same synthetic source (scale 0.03)."""
    home = tmp_path_factory.mktemp("semantic-bq")
    with both_engines(bq_emulator, pg_admin_dsn, home, scale=0.03, seed=3) as engines:
        yield engines


QUERIES: list[tuple[list[str], list[str], list[str]]] = [
    (["revenue", "orders", "units"], ["product.category", "product.subcategory"], []),
    (["new_customers", "customers"], ["order_date.month"], ["new_customers > 0"]),
    (["orders", "revenue"], ["order_date.week", "order_status.status"], []),
    (["revenue", "freight", "order_count"], ["geography.country"], []),
    (["orders"], ["order_date.quarter"], ["country in ('Canada', 'France')"]),
    (["revenue", "total_due"], ["order_date.year", "sales_channel.channel"], []),
]


def _comparable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Money to cents (the engines' decimal scales differ), dates as ISO text."""
    return [
        {
            k: round(v, 2) if isinstance(v, Decimal) else v.isoformat() if hasattr(v, "isoformat")
            else v
            for k, v in row.items()
        }
        for row in rows
    ]  # fmt: skip


@pytest.mark.parametrize(("measures", "dimensions", "where"), QUERIES)
def test_query_answers_the_same_on_both_engines(
    engines: tuple[Settings, Settings],
    bq_emulator: str,
    monkeypatch: pytest.MonkeyPatch,
    measures: list[str],
    dimensions: list[str],
    where: list[str],
) -> None:
    local, cloud = engines
    emulator_environment(monkeypatch, bq_emulator, cloud.bigquery_dataset_prefix)

    on_duckdb = query(measures, dimensions, where, settings=local).to_pylist()
    on_bigquery = query(measures, dimensions, where, settings=cloud).to_pylist()

    assert len(on_duckdb) > 1
    assert _comparable(on_bigquery) == _comparable(on_duckdb)
