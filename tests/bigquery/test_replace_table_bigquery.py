"""Rebuilding a partitioned and clustered table (as `transform` rebuilds fct_sales and
fct_orders) on the emulator, through the real Google client: one `create or replace table …
partition by … cluster by … as select`, so the table gets the new rows, and a query BigQuery
refuses leaves the old rows in place (never a missing or empty table).

The statement sent, and that it names the layout, is checked against canned answers in
tests/unit/test_bigquery_adapter.py; here the engine runs it. Quirk: the emulator keeps no
partitioning or clustering from DDL (only from the tables API), so after such a rebuild it
reports the table as plain; BigQuery keeps the layout the statement names.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from bq_helpers import PROJECT, emulator_environment, unique_prefix
from google.api_core.exceptions import BadRequest

from adventure_elt.settings import Settings
from adventure_elt.warehouse import BigQueryWarehouse, Layout

pytestmark = pytest.mark.bigquery

MONTHLY = Layout("order_date", "MONTH", ("customer_key",))
DAILY_EVENTS = Layout("event_at", "DAY", ("session_id",))


@pytest.fixture
def wh(bq_emulator: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[BigQueryWarehouse]:
    emulator_environment(monkeypatch, bq_emulator, prefix := unique_prefix())
    settings = Settings(
        warehouse="bigquery", bigquery_project=PROJECT, bigquery_dataset_prefix=prefix
    )
    with BigQueryWarehouse(settings) as warehouse:
        warehouse.create_layer("marts")
        yield warehouse


def rows(wh: BigQueryWarehouse, name: str) -> list[tuple[object, ...]]:
    return sorted(wh.fetch_all(f"select * from {wh.relation('marts', name)}"))


@pytest.mark.parametrize(
    ("layout", "first", "second"),
    [
        (
            MONTHLY,
            "select date '2024-01-15' as order_date, 7 as customer_key",
            "select date '2024-02-15' as order_date, 8 as customer_key"
            " union all select date '2024-03-01', 9",
        ),
        (
            DAILY_EVENTS,
            "select timestamp '2024-01-15 10:00:00+00' as event_at, 's1' as session_id",
            "select timestamp '2024-02-15 11:00:00+00' as event_at, 's2' as session_id"
            " union all select timestamp '2024-03-01 12:00:00+00', 's3'",
        ),
    ],
    ids=["date-by-month", "timestamp-by-day"],
)
def test_a_rebuild_keeps_the_layout_and_swaps_the_rows(
    wh: BigQueryWarehouse, layout: Layout, first: str, second: str
) -> None:
    wh.replace_table("marts", "fct", first, layout)  # created through the API: laid out
    assert wh.table_layout("marts", "fct") == layout
    before = rows(wh, "fct")

    wh.replace_table("marts", "fct", second, layout)

    assert len(before) == 1
    assert len(rows(wh, "fct")) == 2


def test_a_refused_rebuild_leaves_the_old_rows(wh: BigQueryWarehouse) -> None:
    wh.replace_table(
        "marts", "fct", "select date '2024-01-15' as order_date, 7 as customer_key", MONTHLY
    )

    with pytest.raises(BadRequest, match="no_such_column"):
        wh.replace_table(
            "marts", "fct", "select date '2024-02-15' as order_date, no_such_column", MONTHLY
        )

    assert rows(wh, "fct") == [(date(2024, 1, 15), 7)]
    assert wh.table_layout("marts", "fct") == MONTHLY
