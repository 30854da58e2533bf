"""Small hand-made marts in a DuckDB file, shaped like the transform builds them.

Fixed dimensions (three products, customers and ship-to addresses, the six statuses …); the
caller gives the orders, their lines and web sessions, so expected figures can be worked out by
hand. Only the columns the semantic model reads are created.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class Order:
    """One order header; its lines give the subtotal."""

    id: int
    day: date
    customer: int
    address: int
    status: int = 5
    tax: Decimal = Decimal("0")
    freight: Decimal = Decimal("0")
    online: bool = True


@dataclass(frozen=True)
class Line:
    """One order line: quantity × unit price × (1 − discount)."""

    order: int
    line: int
    product: int
    qty: int
    price: Decimal
    discount: Decimal = Decimal("0")


@dataclass(frozen=True)
class Session:
    """One web session."""

    id: str
    country: str
    page_views: int
    orders: int = 0
    order_value: Decimal = Decimal("0")
    started_at: datetime = datetime(2020, 1, 1, 12, 0)


PRODUCTS = [
    (100, "Road-150 Red", "Bikes", "Road Bikes"),
    (200, "Sport-100 Helmet", "Accessories", "Helmets"),
    (300, "Chain", "Components", "Chains"),
]
CUSTOMERS = [
    (1, "Ana Bell", "Individual"),
    (2, "Bike World", "Store"),
    (3, "Carl Diaz", "Individual"),
]
ADDRESSES = [
    (10, "Vancouver", "British Columbia", "Canada"),
    (20, "Paris", "Seine (Paris)", "France"),
    (30, "Berlin", "Berlin", "Germany"),
]
STATUSES = ["In process", "Approved", "Backordered", "Rejected", "Shipped", "Cancelled"]


def build_marts(
    path: Path,
    orders: Sequence[Order],
    lines: Sequence[Line],
    sessions: Sequence[Session] = (),
) -> None:
    """Write the `marts` schema into the DuckDB file at `path` (created if missing)."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            "create table marts.dim_product (product_key bigint, product_name varchar,"
            " category_name varchar, subcategory_name varchar)"
        )
        con.executemany("insert into marts.dim_product values (?, ?, ?, ?)", PRODUCTS)
        con.execute(
            "create table marts.dim_customer (customer_key bigint, customer_name varchar,"
            " customer_type varchar, store_name varchar)"
        )
        con.executemany("insert into marts.dim_customer values (?, ?, ?, null)", CUSTOMERS)
        con.execute(
            "create table marts.dim_address (address_key bigint, city varchar,"
            " state_province_name varchar, country_name varchar)"
        )
        con.executemany("insert into marts.dim_address values (?, ?, ?, ?)", ADDRESSES)
        con.execute(
            "create table marts.dim_order_status as select i as order_status_key,"
            " i as status_code, s as status_name from unnest(?) with ordinality as t(s, i)",
            [STATUSES],
        )
        con.execute(
            "create table marts.dim_online_order_flag as select * from (values"
            " (0, false, 'Placed by a sales person'), (1, true, 'Placed online'))"
            " as t(online_order_flag_key, is_online_order, online_order_flag_name)"
        )
        con.execute(
            "create table marts.dim_credit_card as select 0 as credit_card_key,"
            " 'No card' as card_type"
        )
        con.execute(
            "create table marts.fct_orders (sales_order_id bigint, order_date_key bigint,"
            " order_date date, ship_date date, due_date date, customer_key bigint,"
            " ship_to_address_key bigint, credit_card_key bigint, order_status_key bigint,"
            " online_order_flag_key bigint, subtotal decimal(38, 9), tax_amount decimal(38, 9),"
            " freight decimal(38, 9), total_due decimal(38, 9))"
        )
        con.execute(
            "create table marts.fct_sales (sales_order_id bigint, sales_order_detail_id bigint,"
            " order_date_key bigint, order_date date, customer_key bigint, product_key bigint,"
            " ship_to_address_key bigint, credit_card_key bigint, order_status_key bigint,"
            " online_order_flag_key bigint, order_quantity bigint, unit_price decimal(38, 9),"
            " unit_price_discount decimal(38, 9), line_total decimal(38, 9))"
        )
        by_id = {o.id: o for o in orders}
        for o in orders:
            subtotal = sum(
                (ln.qty * ln.price * (1 - ln.discount) for ln in lines if ln.order == o.id),
                Decimal("0"),
            )
            con.execute(
                "insert into marts.fct_orders values (?, ?, ?, null, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
                [o.id, _key(o.day), o.day, o.day, o.customer, o.address, o.status, int(o.online),
                 subtotal, o.tax, o.freight, subtotal + o.tax + o.freight],
            )  # fmt: skip
        for ln in lines:
            o = by_id[ln.order]
            con.execute(
                "insert into marts.fct_sales values (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
                [o.id, ln.line, _key(o.day), o.day, o.customer, ln.product, o.address, o.status,
                 int(o.online), ln.qty, ln.price, ln.discount,
                 ln.qty * ln.price * (1 - ln.discount)],
            )  # fmt: skip
        con.execute(
            "create table marts.dim_date as select"
            " cast(strftime(d, '%Y%m%d') as bigint) as date_key, cast(d as date) as date_day,"
            " year(d) as year_number, month(d) as month_number, isodow(d) as iso_day_of_week"
            " from (select unnest(generate_series(min(order_date), max(order_date),"
            " interval 1 day)) as d from marts.fct_orders)"
        )
        con.execute(
            "create table marts.fct_web_sessions (session_id varchar, customer_key bigint,"
            " country_name varchar, device_type varchar, started_at timestamp with time zone,"
            " page_views bigint, deepest_funnel_stage bigint, orders bigint,"
            " order_value decimal(38, 9), is_converted boolean)"
        )
        for s in sessions:
            con.execute(
                "insert into marts.fct_web_sessions values (?, null, ?, 'desktop', ?, ?, ?, ?, ?,"
                " ?)",
                [s.id, s.country, s.started_at, s.page_views, 5 if s.orders else 2, s.orders,
                 s.order_value, s.orders > 0],
            )  # fmt: skip


def _key(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day
