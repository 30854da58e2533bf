"""What the BigQuery adapter asks BigQuery for, through the real client against a canned BigQuery
(`tests/canned_bigquery.py`): where the emulator is lenient or silent — replacing a table laid
out otherwise (the emulator ignores partitioning specs in DDL and never refuses), and the layout
of the stream's raw table — the requests themselves are the evidence.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pytest

pytest.importorskip("google.cloud.bigquery", reason="the bigquery extra is not installed")

from adventure_elt.settings import Settings
from adventure_elt.stream.tables import EVENTS_TABLE, ensure_event_tables
from adventure_elt.warehouse import PLAIN, BigQueryWarehouse, Layout
from canned_bigquery import PROJECT, Canned, canned_bigquery, table_resource

TABLE = "adventure_marts.fct"
TABLE_PATH = f"/bigquery/v2/projects/{PROJECT}/datasets/adventure_marts/tables/fct"
COLUMNS = [("order_date", "DATE"), ("customer_key", "INTEGER")]
MONTHLY = Layout("order_date", "MONTH", ("customer_key",))


@pytest.fixture
def canned(monkeypatch: pytest.MonkeyPatch) -> Iterator[Canned]:
    answers = Canned(bytes_per_query=1_000, columns=COLUMNS)
    with canned_bigquery(monkeypatch, answers):
        yield answers


@pytest.fixture
def wh(canned: Canned) -> Iterator[BigQueryWarehouse]:
    with BigQueryWarehouse(Settings(warehouse="bigquery", bigquery_project=PROJECT)) as warehouse:
        yield warehouse


def jobs_after(canned: Canned, request: str) -> list[str]:
    """The queries of the jobs sent after `request` (which must have been sent)."""
    position = canned.requests.index(request)
    later = canned.requests[position:].count(
        f"POST /bigquery/v2/projects/{PROJECT}/jobs"
    )  # fmt: skip
    return [q["query"] for q in canned.queries[len(canned.queries) - later :]]


def test_a_table_laid_out_otherwise_is_dropped_before_create_or_replace(
    canned: Canned, wh: BigQueryWarehouse
) -> None:
    """BigQuery refuses `create or replace table` over a table with another partitioning or
    clustering spec ("Cannot replace a table with a different partitioning spec")."""
    canned.tables[TABLE] = table_resource(
        TABLE, COLUMNS, ("order_date", "MONTH"), ("customer_key",)
    )

    wh.replace_table("marts", "fct", "select date '2024-01-01' as order_date", PLAIN)

    assert canned.writes == [f"DELETE {TABLE_PATH}"]
    (replace,) = jobs_after(canned, f"DELETE {TABLE_PATH}")
    assert replace.startswith(f"create or replace table `{PROJECT}.adventure_marts.fct` as")


def test_a_table_laid_out_as_declared_is_replaced_in_one_statement(
    canned: Canned, wh: BigQueryWarehouse
) -> None:
    canned.tables[TABLE] = table_resource(TABLE, COLUMNS)

    wh.replace_table("marts", "fct", "select 1 as x", PLAIN)

    assert canned.writes == []
    assert canned.queries[-1]["query"].startswith("create or replace table")


@pytest.mark.parametrize(
    ("column", "granularity", "partition_by"),
    [
        (("order_date", "DATE"), "MONTH", "date_trunc(`order_date`, MONTH)"),
        (("order_date", "DATE"), "YEAR", "date_trunc(`order_date`, YEAR)"),
        (("order_date", "DATE"), "DAY", "`order_date`"),
        (("event_at", "TIMESTAMP"), "DAY", "timestamp_trunc(`event_at`, DAY)"),
        (("event_at", "TIMESTAMP"), "HOUR", "timestamp_trunc(`event_at`, HOUR)"),
        (("event_at", "DATETIME"), "MONTH", "datetime_trunc(`event_at`, MONTH)"),
    ],
)
def test_a_partitioned_table_laid_out_as_declared_is_replaced_in_one_statement(
    canned: Canned,
    wh: BigQueryWarehouse,
    column: tuple[str, str],
    granularity: str,
    partition_by: str,
) -> None:
    """Readers never see the table missing or empty, and a refused query leaves the old rows:
    one `create or replace table … partition by … cluster by … as select`, in the partition
    expression BigQuery accepts for the column's type (a DATE column itself by day,
    DATE_TRUNC/TIMESTAMP_TRUNC/DATETIME_TRUNC otherwise; BigQuery's DDL reference)."""
    layout = Layout(column[0], granularity, ("customer_key",))
    columns = [column, ("customer_key", "INTEGER")]
    canned.tables[TABLE] = table_resource(
        TABLE, columns, (column[0], granularity), ("customer_key",)
    )

    wh.replace_table("marts", "fct", "select 1 as x", layout)

    assert canned.writes == []  # nothing dropped, nothing created through the API
    assert canned.queries[-1]["query"] == (
        f"create or replace table `{PROJECT}.adventure_marts.fct`\n"
        f"partition by {partition_by}\n"
        "cluster by `customer_key`\n"
        "as\nselect 1 as x"
    )


def test_a_clustered_table_laid_out_as_declared_is_replaced_in_one_statement(
    canned: Canned, wh: BigQueryWarehouse
) -> None:
    clustered = Layout(None, "DAY", ("customer_key", "order_date"))
    canned.tables[TABLE] = table_resource(TABLE, COLUMNS, None, ("customer_key", "order_date"))

    wh.replace_table("marts", "fct", "select 1 as x", clustered)

    assert canned.writes == []
    assert canned.queries[-1]["query"] == (
        f"create or replace table `{PROJECT}.adventure_marts.fct`\n"
        "cluster by `customer_key`, `order_date`\n"
        "as\nselect 1 as x"
    )


def test_a_partitioned_layout_is_created_through_the_api_then_filled(
    canned: Canned, wh: BigQueryWarehouse
) -> None:
    wh.replace_table("marts", "fct", "select date '2024-01-01' as order_date", MONTHLY)

    (created,) = canned.created
    assert created["timePartitioning"] == {"type": "MONTH", "field": "order_date"}
    assert created["clustering"] == {"fields": ["customer_key"]}
    assert [f["name"] for f in created["schema"]["fields"]] == ["order_date", "customer_key"]
    assert canned.queries[-1]["query"].startswith(
        f"insert into `{PROJECT}.adventure_marts.fct` (`order_date`, `customer_key`)"
    )


def test_the_stream_s_raw_table_is_partitioned_by_event_day_and_clustered_by_event_id(
    canned: Canned, wh: BigQueryWarehouse
) -> None:
    ensure_event_tables(wh)

    tables = [t for t in canned.created if "tableReference" in t]
    events = next(t for t in tables if t["tableReference"]["tableId"] == EVENTS_TABLE)
    assert events["timePartitioning"] == {"type": "DAY", "field": "timestamp"}
    assert events["clustering"] == {"fields": ["event_id"]}
    types = {f["name"]: f["type"] for f in events["schema"]["fields"]}
    assert (types["timestamp"], types["event_id"], types["duration"]) == (
        "TIMESTAMP",
        "STRING",
        "FLOAT64",
    )
    rejected = next(t for t in tables if t["tableReference"]["tableId"] != EVENTS_TABLE)
    assert "timePartitioning" not in rejected and "clustering" not in rejected


def test_the_layout_of_an_ingestion_time_partitioned_table_is_not_taken_for_plain(
    canned: Canned, wh: BigQueryWarehouse
) -> None:
    resource = table_resource(TABLE, COLUMNS)
    resource["timePartitioning"] = {"type": "DAY"}  # no field: ingestion time
    canned.tables[TABLE] = resource

    assert wh.table_layout("marts", "fct") == Layout("_PARTITIONTIME", "DAY")


def test_a_scratch_table_is_created_to_expire_a_day_later_and_dropped_after_use(
    canned: Canned, wh: BigQueryWarehouse
) -> None:
    """A run killed while its scratch table exists (a cdc batch, the keys delete detection
    compares) leaves it for a day at most. The emulator keeps no expiration, so the statement
    is the evidence; its form is BigQuery's documented one (`CREATE TABLE … OPTIONS
    (expiration_timestamp = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL …))`)."""
    keys = pa.table({"id": pa.array([], pa.int64())})

    with wh.stage(keys, "raw", "keys") as staged:
        (create,) = [q["query"] for q in canned.queries]

    assert create == (
        f"create table {staged} (`id` INT64) options (expiration_timestamp ="
        " timestamp_add(current_timestamp(), interval 1 day))"
    )
    assert canned.queries[-1]["query"] == f"drop table if exists {staged}"
