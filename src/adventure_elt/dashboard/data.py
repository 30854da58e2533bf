"""The dashboard's only door to the warehouse: semantic queries, filtered, cached, as DataFrames.

Every figure comes from `adventure_elt.query` (the semantic layer), which opens the warehouse
read-only and writes SQL for DuckDB or BigQuery alike; nothing here names a table or an engine.
The sidebar's filters become the semantic layer's `where` conditions on dimensions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import streamlit as st

from adventure_elt.dashboard.periods import Period
from adventure_elt.freshness import Freshness, freshness
from adventure_elt.semantic.filters import between, is_in, literal
from adventure_elt.settings import Settings

if TYPE_CHECKING:
    import pandas as pd

# Business figures change once per pipeline run: a minute of caching keeps pages snappy while a
# run's new numbers still show up soon. The live panel bypasses the cache.
CACHE_SECONDS = 60

# Dimensions the filters act on. `order_date` is each fact's own order date; `country` the
# ship-to country of an order (and the visitor's country for web events).
DATE = "order_date"
MONTH = f"{DATE}.month"
COUNTRY = "geography.country"
CATEGORY = "product.category"


@dataclass(frozen=True)
class Filters:
    """What the sidebar restricts every business figure to; empty means no restriction.

    Args:
        start: first order day included.
        end: last order day included.
        countries: ship-to countries.
        categories: product categories.
    """

    start: date | None = None
    end: date | None = None
    countries: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    def where(
        self, *, dates: bool = True, categories: bool = True, country: str = COUNTRY
    ) -> list[str]:
        """The filters as semantic `where` conditions, values written by `semantic.filters`.

        Args:
            dates: include the order-date range (views without orders cannot take it).
            categories: include the category filter (views without products cannot take it).
            country: the dimension the country filter applies to.

        >>> Filters(start=date(2013, 1, 1), countries=("France",)).where()
        ["order_date >= CAST('2013-01-01' AS DATE)", "geography.country IN ('France')"]
        """
        conditions: list[str] = []
        if dates and self.start is not None and self.end is not None:
            conditions.append(between(DATE, self.start, self.end))
        elif dates and self.start is not None:
            conditions.append(f"{DATE} >= {literal(self.start)}")
        elif dates and self.end is not None:
            conditions.append(f"{DATE} <= {literal(self.end)}")
        if self.countries:
            conditions.append(is_in(country, self.countries))
        if categories and self.categories:
            conditions.append(is_in(CATEGORY, self.categories))
        return conditions

    def during(self, period: Period) -> Filters:
        """The same filters over another period (e.g. the previous one, for deltas)."""
        return replace(self, start=period.start, end=period.end)

    @property
    def active(self) -> bool:
        """True when any filter restricts the figures."""
        return bool(self.start or self.end or self.countries or self.categories)


def fetch(
    settings: Settings,
    measures: Sequence[str],
    dimensions: Sequence[str] = (),
    where: Sequence[str] = (),
    order_by: Sequence[str] = (),
    limit: int | None = None,
) -> pd.DataFrame:
    """A semantic query as a DataFrame (money as floats, dates as datetimes), cached a minute.

    Columns: one per dimension (`.` becomes `_`: `product.category` → `product_category`)
    and one per measure.
    """
    return _cached_fetch(
        settings, tuple(measures), tuple(dimensions), tuple(where), tuple(order_by), limit
    )


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _cached_fetch(
    settings: Settings,
    measures: tuple[str, ...],
    dimensions: tuple[str, ...],
    where: tuple[str, ...],
    order_by: tuple[str, ...],
    limit: int | None,
) -> pd.DataFrame:
    return fetch_live(settings, measures, dimensions, where, order_by, limit)


def utc_now() -> datetime:
    """The live panel's clock: its windows end now. One place to read it, so a test can hold
    it still at its events' time however long the run before it took."""
    return datetime.now(UTC)


def fetch_live(
    settings: Settings,
    measures: Sequence[str],
    dimensions: Sequence[str] = (),
    where: Sequence[str] = (),
    order_by: Sequence[str] = (),
    limit: int | None = None,
) -> pd.DataFrame:
    """Like `fetch`, without the cache: for the live panel, which must see every new event."""
    from adventure_elt import query

    table = query(
        measures=measures,
        dimensions=dimensions,
        where=where,
        order_by=order_by,
        limit=limit,
        settings=settings,
    )
    return to_frame(table)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def fetch_freshness(settings: Settings) -> Freshness:
    """When each raw table was last synced and the latest pipeline runs, cached a minute."""
    return freshness(settings)


def to_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow result as a DataFrame charts can plot: decimals → floats, dates → datetimes."""
    columns = []
    for column in table.columns:
        if pa.types.is_decimal(column.type):
            column = pc.cast(column, pa.float64())
        columns.append(column)
    plain = pa.table(columns, names=table.column_names)
    return plain.to_pandas(date_as_object=False)


def column(dimension: str) -> str:
    """The output column of a dimension in a query result (`product.category` →
    `product_category`).

    >>> column("order_date.month")
    'order_date_month'
    """
    return dimension.replace(".", "_")
