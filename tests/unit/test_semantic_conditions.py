"""The filter allow-list: what is accepted, how it is rebuilt, and what is refused."""

from __future__ import annotations

import doctest
from datetime import date, datetime

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from adventure_elt.semantic import conditions
from adventure_elt.semantic.conditions import parse_condition
from adventure_elt.semantic.errors import QueryError
from adventure_elt.semantic.filters import between, equals, is_in
from adventure_elt.semantic.model import SemanticModel, load_model

MODEL = load_model()


@pytest.fixture(scope="module")
def model() -> SemanticModel:
    return MODEL


# (filter, its checked tree on DuckDB, on BigQuery)
ACCEPTED = [
    ("country = 'Canada'", "country = 'Canada'", "country = 'Canada'"),
    (
        "geography.country IN ('Canada', 'Côte d\\'Ivoire')",
        "geography.country IN ('Canada', 'Côte d''Ivoire')",
        "geography.country IN ('Canada', 'Côte d\\'Ivoire')",
    ),
    ("revenue / orders > 1000", "revenue / orders > 1000", "revenue / orders > 1000"),
    ("country NOT LIKE 'C%'", "NOT country LIKE 'C%'", "NOT country LIKE 'C%'"),
    ("product.color IS NOT NULL", "NOT product.color IS NULL", "NOT product.color IS NULL"),
    (
        "order_date BETWEEN DATE '2013-01-01' AND '2013-12-31'",
        "order_date BETWEEN CAST('2013-01-01' AS DATE) AND '2013-12-31'",
        "order_date BETWEEN CAST('2013-01-01' AS DATE) AND '2013-12-31'",
    ),
    (
        "DATE_TRUNC(order_date, MONTH) = '2014-01-01' AND EXTRACT(YEAR FROM order_date) = 2014",
        "DATE_TRUNC('MONTH', order_date) = '2014-01-01' AND EXTRACT(YEAR FROM order_date) = 2014",
        "DATE_TRUNC(order_date, MONTH) = '2014-01-01' AND EXTRACT(YEAR FROM order_date) = 2014",
    ),
    (
        "web_traffic.started_at >= timestamp_sub(current_timestamp(), interval 15 minute)",
        "web_traffic.started_at >= (CURRENT_TIMESTAMP - INTERVAL '15' MINUTE)",
        "web_traffic.started_at >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL '15' MINUTE)",
    ),
    (
        "lower(trim(country)) = 'canada' -- a comment is dropped",
        "LOWER(TRIM(country)) = 'canada'",
        "LOWER(TRIM(country)) = 'canada'",
    ),
    (
        "coalesce(product.color, 'none') <> 'Red' OR (round(abs(revenue), 2) >= -1.5)",
        "COALESCE(product.color, 'none') <> 'Red' OR (ROUND(ABS(revenue), 2) >= -1.5)",
        "COALESCE(product.color, 'none') <> 'Red' OR (ROUND(ABS(revenue), 2) >= -1.5)",
    ),
    (
        "CAST(product.list_price AS INT64) > 100 AND product.is_finished_good IS TRUE",
        "CAST(product.list_price AS BIGINT) > 100 AND product.is_finished_good IS TRUE",
        "CAST(product.list_price AS INT64) > 100 AND product.is_finished_good IS TRUE",
    ),
    ("FALSE", "FALSE", "FALSE"),
]


@pytest.mark.parametrize(("text", "duckdb", "bigquery"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_allowed_filters_are_rebuilt_for_both_engines(
    model: SemanticModel, text: str, duckdb: str, bigquery: str
) -> None:
    tree = parse_condition(text, model)

    assert tree.sql("duckdb") == duckdb
    assert tree.sql("bigquery") == bigquery


def test_the_rebuilt_tree_shares_nothing_with_the_parsed_text(model: SemanticModel) -> None:
    tree = parse_condition("country = 'Canada' /* note */", model)
    assert all(not node.comments for node in tree.walk())
    assert isinstance(tree, exp.EQ) and tree.right == exp.Literal.string("Canada")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cast(country as string format 'YYYY') = 'x'", "FORMAT"),
        ("date_trunc(order_date, hour) = '2014-01-01'", "DATE_TRUNC to HOUR"),
        ("extract(dayofweek from order_date) = 1", "EXTRACT of DAYOFWEEK"),
        ("date_sub(current_date(), interval country day) < order_date", "a whole number"),
        ("date_sub(current_date(), interval 1 hour) < order_date", "INTERVAL … HOUR"),
        ("trim(country, 'x') = 'a'", "filter not allowed"),
        ("sales = 1", "unknown dimension or measure 'sales'"),
        ("cuntry = 'Canada'", "did you mean country"),
        ("product.colour = 'Red'", "unknown dimension or measure 'product.colour'"),
        ("", "holds no condition"),
    ],
)
def test_refusals_name_what_is_wrong(model: SemanticModel, text: str, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_condition(text or "-- nothing", model)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


# Text a dashboard user can pick or type: any printable character, quotes and backslashes too.
printable_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn")), max_size=40
)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(printable_text, max_size=5))
def test_values_picked_in_the_dashboard_stay_data(values: list[str]) -> None:
    tree = parse_condition(is_in("geography.country", values), MODEL)

    if not values:
        assert tree == exp.false()
        return
    assert isinstance(tree, exp.In)
    assert tree.expressions == [exp.Literal.string(v) for v in values]
    # and DuckDB reads each rebuilt literal back as exactly the value picked
    literals = ", ".join(e.sql("duckdb") for e in tree.expressions)
    assert duckdb.execute(f"select {literals}").fetchone() == tuple(values)


def test_filters_helpers_pass_the_allow_list(model: SemanticModel) -> None:
    for text in (
        equals("product.category", "Bikes"),
        equals("product.color", None),
        between("order_date", date(2013, 1, 1), date(2013, 12, 31)),
        between("web_traffic.started_at", datetime(2024, 1, 1, 8), datetime(2024, 1, 2)),
        is_in("country", []),
    ):
        parse_condition(text, model)


def test_docstring_examples_run() -> None:
    result = doctest.testmod(conditions, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
