"""Build `where` conditions from values picked in a UI, quoted safely (no hand-made SQL).

>>> is_in("country", ["Canada", "Côte d'Ivoire"])
"country IN ('Canada', 'Côte d\\\\'Ivoire')"
>>> between("order_date", date(2013, 1, 1), date(2013, 12, 31))
"order_date BETWEEN CAST('2013-01-01' AS DATE) AND CAST('2013-12-31' AS DATE)"
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlglot import exp

from adventure_elt.semantic.model import DIALECT

Value = str | int | float | bool | date | datetime | None


def literal(value: Value) -> str:
    """A value as a SQL literal in the semantic layer's filter syntax (BigQuery).

    A datetime is a BigQuery TIMESTAMP (a point in time), comparable with the TIMESTAMP columns;
    sqlglot's dialect-free TIMESTAMP would be written as a DATETIME, which BigQuery does not
    compare with a TIMESTAMP.

    >>> from datetime import UTC
    >>> literal(datetime(2026, 12, 3, 9, 30, tzinfo=UTC))
    "CAST('2026-12-03 09:30:00+00:00' AS TIMESTAMP)"
    """
    if isinstance(value, datetime):
        stamp = exp.DataType.build("TIMESTAMP", dialect=DIALECT)
        node: exp.Expr = exp.cast(exp.Literal.string(value.isoformat(sep=" ")), stamp)
    elif isinstance(value, date):
        node = exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    else:
        node = exp.convert(value)
    return node.sql(dialect=DIALECT)


def equals(dimension: str, value: Value) -> str:
    """`dimension = value` (`dimension IS NULL` for None)."""
    if value is None:
        return f"{dimension} IS NULL"
    return f"{dimension} = {literal(value)}"


def is_in(dimension: str, values: Iterable[Value]) -> str:
    """`dimension IN (values…)`; an empty selection matches nothing.

    >>> is_in("geography.country", ["France", "Germany"])
    "geography.country IN ('France', 'Germany')"
    """
    listed = [literal(v) for v in values]
    return f"{dimension} IN ({', '.join(listed)})" if listed else "FALSE"


def between(dimension: str, start: Value, end: Value) -> str:
    """`dimension BETWEEN start AND end` (both ends included)."""
    return f"{dimension} BETWEEN {literal(start)} AND {literal(end)}"
