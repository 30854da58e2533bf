"""The five business answers, read from the `reports` models, as one JSON-ready document.

The document's keys are a contract that Kestra, the dashboard and acceptance checks read (issue 4):
`as_of`, `warehouse`, `product_sales`, `new_customers`, `customer_summary`, `order_status`,
`geography`, `web_traffic`. Counts are JSON integers; money (`revenue`, `order_value` and the two
averages) is a JSON number rounded half-up to cents, so figures read the same on every engine.
`revenue` is always the sum of line totals (qty × unit price × (1 − discount)).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from adventure_elt.errors import WarehouseError
from adventure_elt.settings import Settings

if TYPE_CHECKING:
    from adventure_elt.warehouse import Warehouse

REPORT_LAYER = "reports"
CENT = Decimal("0.01")


class ProductSales(TypedDict):
    """Sales of one product subcategory."""

    category: str
    subcategory: str
    orders: int
    units: int
    revenue: float


class NewCustomers(TypedDict):
    """Customers whose first order fell in one month."""

    year: int
    month: int
    new_customers: int


class CustomerSummary(TypedDict):
    """Spend per customer and per order, over every order with lines."""

    customers_with_orders: int
    orders: int
    revenue: float
    avg_order_value: float
    avg_spend_per_customer: float


class OrderStatus(TypedDict):
    """Orders and their value in one status (the seed's name, e.g. "Shipped")."""

    status: str
    orders: int
    revenue: float


class Geography(TypedDict):
    """Orders and revenue shipped to one city."""

    country: str
    state_province: str
    city: str
    orders: int
    revenue: float


class WebTraffic(TypedDict):
    """Web visits, sessions and orders from one country."""

    country: str
    visits: int
    sessions: int
    orders: int
    order_value: float


class Report(TypedDict):
    """The whole `report --json` document."""

    as_of: str
    warehouse: str
    product_sales: list[ProductSales]
    new_customers: list[NewCustomers]
    customer_summary: CustomerSummary
    order_status: list[OrderStatus]
    geography: list[Geography]
    web_traffic: list[WebTraffic]


# model -> the query over it (`{t}` is the model's relation); the order is the document's order.
_QUERIES: dict[str, str] = {
    "rpt_product_sales": (
        "select category, subcategory, orders, units, revenue from {t}"
        " order by category, subcategory"
    ),
    "rpt_new_customers": "select year, month, new_customers from {t} order by year, month",
    "rpt_customer_summary": (
        "select customers_with_orders, orders, revenue, avg_order_value, avg_spend_per_customer"
        " from {t}"
    ),
    "rpt_order_status": "select status, orders, revenue from {t} order by status_code",
    "rpt_geography": (
        "select country, state_province, city, orders, revenue from {t}"
        " order by country, state_province, city"
    ),
    "rpt_web_traffic": (
        "select country, visits, sessions, orders, order_value from {t} order by country"
    ),
}


def money(value: Any) -> float:
    """A money amount as a JSON number rounded half-up to cents; NULL (no rows) is 0.

    >>> money(Decimal("109846381.399888000"))
    109846381.4
    >>> money(None)
    0.0
    """
    if value is None:
        return 0.0
    return float(Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP))


def count(value: Any) -> int:
    """A count as a JSON integer; NULL (no rows) is 0."""
    return 0 if value is None else int(value)


def report(settings: Settings | None = None) -> Report:
    """Read the five business answers from the warehouse's `reports` layer.

    Args:
        settings: which warehouse to read (default: `Settings.load()`).

    Returns:
        The `report --json` document. Raises WarehouseError when the report models have not
        been built yet.
    """
    from adventure_elt.warehouse import open_warehouse

    settings = settings or Settings.load()
    with open_warehouse(settings, read_only=True) as warehouse:
        rows = _fetch(warehouse)
    summary = rows["rpt_customer_summary"]
    totals = summary[0] if summary else (0, 0, 0, 0, 0)
    return {
        "as_of": datetime.now(UTC).isoformat(timespec="seconds"),
        "warehouse": settings.warehouse,
        "product_sales": [
            {
                "category": str(category),
                "subcategory": str(subcategory),
                "orders": count(orders),
                "units": count(units),
                "revenue": money(revenue),
            }
            for category, subcategory, orders, units, revenue in rows["rpt_product_sales"]
        ],
        "new_customers": [
            {"year": count(year), "month": count(month), "new_customers": count(new)}
            for year, month, new in rows["rpt_new_customers"]
        ],
        "customer_summary": {
            "customers_with_orders": count(totals[0]),
            "orders": count(totals[1]),
            "revenue": money(totals[2]),
            "avg_order_value": money(totals[3]),
            "avg_spend_per_customer": money(totals[4]),
        },
        "order_status": [
            {"status": str(status), "orders": count(orders), "revenue": money(revenue)}
            for status, orders, revenue in rows["rpt_order_status"]
        ],
        "geography": [
            {
                "country": str(country),
                "state_province": str(state_province),
                "city": str(city),
                "orders": count(orders),
                "revenue": money(revenue),
            }
            for country, state_province, city, orders, revenue in rows["rpt_geography"]
        ],
        "web_traffic": [
            {
                "country": str(country),
                "visits": count(visits),
                "sessions": count(sessions),
                "orders": count(orders),
                "order_value": money(order_value),
            }
            for country, visits, sessions, orders, order_value in rows["rpt_web_traffic"]
        ],
    }


def _fetch(warehouse: Warehouse) -> dict[str, list[tuple[Any, ...]]]:
    built = set(warehouse.list_tables(REPORT_LAYER))
    missing = [model for model in _QUERIES if model not in built]
    if missing:
        raise WarehouseError(
            f"the report models {', '.join(missing)} are not built in the warehouse yet; "
            "run 'adventure-elt transform' first"
        )
    return {
        model: warehouse.fetch_all(query.format(t=warehouse.relation(REPORT_LAYER, model)))
        for model, query in _QUERIES.items()
    }
