"""The live queries read only the recent partitions of `raw.web_events` on BigQuery.

`raw.web_events` is partitioned by its `timestamp` column (one partition a day). BigQuery prunes
partitions only for a filter that compares the partitioning column with a constant expression —
no column of another table, no subquery
(https://cloud.google.com/bigquery/docs/querying-partitioned-tables#use_a_constant_filter_expression);
views are inlined, so a filter on a column that the views pass through unchanged counts. The
live panel runs every 3 s, so a query that read every partition would bill the whole stream each
time: these tests read the compiled BigQuery SQL with sqlglot's parser and look for that filter.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlglot
from sqlglot import exp

from adventure_elt.semantic.compiler import compile_query
from adventure_elt.semantic.filters import literal
from adventure_elt.semantic.model import load_model
from adventure_elt.stream.tables import EVENTS_LAYOUT
from adventure_elt.transform import compile_all

COMPILED = compile_all("bigquery")
COMPARISONS = (exp.GT, exp.GTE, exp.LT, exp.LTE, exp.EQ, exp.Between)
SINCE = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)


def constant_filters(sql: str, column: str) -> list[str]:
    """The WHERE comparisons of `sql` between `column` and an expression of constants only."""
    found = []
    for where in sqlglot.parse_one(sql, read="bigquery").find_all(exp.Where):
        for comparison in where.find_all(*COMPARISONS):
            left = comparison.this
            others = [v for k, v in comparison.args.items() if k != "this" and v is not None]
            if not (isinstance(left, exp.Column) and left.name == column):
                continue
            if all(not list(o.find_all(exp.Column, exp.Query)) for o in others):
                found.append(comparison.sql(dialect="bigquery"))
    return found


def passes_through(sql: str, output: str, source: str) -> bool:
    """Whether every projection named `output` in `sql` is the bare column `source` (or
    `output` itself, from an inner step): the column is not computed on its way."""
    projections = [
        p
        for select in sqlglot.parse_one(sql, read="bigquery").find_all(exp.Select)
        for p in select.expressions
        if p.alias_or_name == output
    ]
    bare = {source, output}
    return bool(projections) and all(
        isinstance(p.unalias(), exp.Column) and p.unalias().name in bare for p in projections
    )


def tables(sql: str) -> set[str]:
    ast = sqlglot.parse_one(sql, read="bigquery")
    ctes = {cte.alias for cte in ast.find_all(exp.CTE)}
    return {f"{t.db}.{t.name}" for t in ast.find_all(exp.Table) if t.name not in ctes}


def test_the_stream_table_is_partitioned_by_the_event_time() -> None:
    assert EVENTS_LAYOUT.partition_field == "timestamp"


def test_event_at_is_the_partitioning_column_through_every_view() -> None:
    assert tables(COMPILED["stg_web__events"]) == {"raw.web_events"}
    assert passes_through(COMPILED["stg_web__events"], "event_at", "timestamp")
    assert tables(COMPILED["fct_web_page_views"]) == {"staging.stg_web__events"}
    assert passes_through(COMPILED["fct_web_page_views"], "event_at", "event_at")


def test_the_live_sessions_view_filters_the_event_time_by_a_constant() -> None:
    sql = COMPILED["rpt_web_sessions_live"]
    assert tables(sql) == {"staging.stg_web__events"}
    filters = constant_filters(sql, "event_at")
    assert filters == ["event_at >= TIMESTAMP_SUB(current_timestamp(), INTERVAL '25' HOUR)"]


def test_the_semantic_live_view_reads_only_the_live_sessions_view() -> None:
    sql = compile_query(
        load_model(),
        ["live_sessions", "live_visits"],
        ["web_traffic_live.country"],
        where=[f"started_at >= {literal(SINCE)}"],
        target="bigquery",
    )
    assert tables(sql) == {"reports.rpt_web_sessions_live"}


def test_the_live_page_views_per_minute_filter_the_event_time_by_a_constant() -> None:
    """The live page's chart query (views/live.py): page views per minute since a moment."""
    sql = compile_query(
        load_model(),
        ["page_views"],
        ["web_events.event_minute"],
        where=[f"event_at >= {literal(SINCE)}"],
        target="bigquery",
    )
    assert tables(sql) == {"marts.fct_web_page_views"}
    assert constant_filters(sql, "event_at") == [
        "web_events.event_at >= CAST('2026-12-03 09:30:00+00:00' AS TIMESTAMP)"
    ]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("select 1 from t where event_at >= current_timestamp()", 1),
        ("select 1 from t where event_at between timestamp '2024-01-01' and current_timestamp", 1),
        ("select 1 from t where event_at >= other_column", 0),
        ("select 1 from t where event_at >= (select max(x) from u)", 0),
        ("select 1 from t where date(event_at) >= '2024-01-01'", 0),
    ],
)
def test_the_detector_tells_a_constant_filter_from_others(sql: str, expected: int) -> None:
    """The detector itself is sharp (else the tests above could never fail)."""
    assert len(constant_filters(sql, "event_at")) == expected
