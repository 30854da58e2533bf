"""The five business answers, asked of the semantic layer, as one JSON-ready document.

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

from adventure_elt.settings import Settings

if TYPE_CHECKING:
    from adventure_elt.warehouse import Warehouse

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
    """The five business answers, asked of the semantic layer (`adventure_elt.semantic`).

    Every figure is a semantic measure (`revenue`, `orders`, `new_customers`, …), so the report,
    the dashboard and `adventure-elt query` agree; a test checks they equal the `reports` models.

    Args:
        settings: which warehouse to read (default: `Settings.load()`); opened read-only.

    Returns:
        The `report --json` document. Raises WarehouseError when the marts have not been built.
    """
    from adventure_elt.warehouse import open_warehouse

    settings = settings or Settings.load()
    with open_warehouse(settings, read_only=True) as warehouse:
        answers = _ask(warehouse)
    totals = answers["customer_summary"][0] if answers["customer_summary"] else {}
    return {
        "as_of": datetime.now(UTC).isoformat(timespec="seconds"),
        "warehouse": settings.warehouse,
        "product_sales": [
            {
                "category": str(row["product_category"]),
                "subcategory": str(row["product_subcategory"]),
                "orders": count(row["orders"]),
                "units": count(row["units"]),
                "revenue": money(row["revenue"]),
            }
            for row in answers["product_sales"]
        ],
        "new_customers": [
            {
                "year": row["order_date_month"].year,
                "month": row["order_date_month"].month,
                "new_customers": count(row["new_customers"]),
            }
            for row in answers["new_customers"]
        ],
        "customer_summary": {
            "customers_with_orders": count(totals.get("customers")),
            "orders": count(totals.get("orders")),
            "revenue": money(totals.get("revenue")),
            "avg_order_value": money(totals.get("avg_order_value")),
            "avg_spend_per_customer": money(totals.get("avg_spend_per_customer")),
        },
        "order_status": [
            {
                "status": str(row["order_status_status"]),
                "orders": count(row["orders"]),
                "revenue": money(row["revenue"]),
            }
            for row in answers["order_status"]
        ],
        "geography": [
            {
                "country": str(row["geography_country"]),
                "state_province": str(row["geography_state_province"]),
                "city": str(row["geography_city"]),
                "orders": count(row["orders"]),
                "revenue": money(row["revenue"]),
            }
            for row in answers["geography"]
        ],
        "web_traffic": [
            {
                "country": str(row["web_traffic_country"]),
                "visits": count(row["visits"]),
                "sessions": count(row["sessions"]),
                "orders": count(row["web_orders"]),
                "order_value": money(row["web_order_value"]),
            }
            for row in answers["web_traffic"]
        ],
    }


# answer -> (measures, dimensions, where, order by): the semantic queries behind the document
QUESTIONS: dict[str, tuple[list[str], list[str], list[str], list[str]]] = {
    "product_sales": (
        ["orders", "units", "revenue"],
        ["product.category", "product.subcategory"],
        [],
        [],
    ),
    "new_customers": (["new_customers"], ["order_date.month"], ["new_customers > 0"], []),
    "customer_summary": (
        ["customers", "orders", "revenue", "avg_order_value", "avg_spend_per_customer"],
        [],
        [],
        [],
    ),
    "order_status": (
        ["orders", "revenue"],
        ["order_status.status", "order_status.code"],
        [],
        ["order_status.code"],
    ),
    "geography": (
        ["orders", "revenue"],
        ["geography.country", "geography.state_province", "geography.city"],
        [],
        [],
    ),
    "web_traffic": (
        ["visits", "sessions", "web_orders", "web_order_value"],
        ["web_traffic.country"],
        [],
        [],
    ),
}


def _ask(warehouse: Warehouse) -> dict[str, list[dict[str, Any]]]:
    from adventure_elt.semantic.query import cached_model, run_query

    model = cached_model()
    return {
        name: run_query(warehouse, measures, dimensions, where, order_by, model=model).to_pylist()
        for name, (measures, dimensions, where, order_by) in QUESTIONS.items()
    }
