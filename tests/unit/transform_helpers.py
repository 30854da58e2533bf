"""A small model project written into tmp_path, and a raw layer to run it on (transform tests)."""

from __future__ import annotations

from pathlib import Path

from adventure_elt.settings import Settings
from adventure_elt.warehouse import DuckDBWarehouse

BASE_FILES: dict[str, str] = {
    "seeds/order_status.csv": "status_code,status_name\n1,Open\n2,Shipped\n3,Cancelled\n",
    "staging/stg_orders.sql": """with

source as (
    select * from raw.sales_orders
),

final as (
    select
        cast(orderid as int64) as order_id,
        cast(customerid as int64) as customer_id,
        cast(amount as numeric) as amount,
        cast(status as int64) as status_code
    from source
)

select * from final
""",
    "staging/stg_customers.sql": """select
    cast(customerid as int64) as customer_id,
    cast(name as string) as customer_name
from raw.sales_customers
""",
    "marts/dim_customer.sql": """with customers as (
    select * from staging.stg_customers
)

select customer_id as customer_key, customer_name from customers
""",
    "marts/fct_orders.sql": """with

orders as (
    select * from staging.stg_orders
),

statuses as (
    select * from seeds.order_status
),

final as (
    select
        orders.order_id,
        orders.customer_id as customer_key,
        orders.amount * 2 as double_amount,
        statuses.status_name
    from orders
    left join statuses on orders.status_code = statuses.status_code
)

select * from final
""",
    "marts/_models.yml": """version: 1
models:
  - name: fct_orders
    description: One row per order.
    materialized: incremental
    unique_key: [order_id]
    columns:
      - name: order_id
        tests: [not_null, unique]
      - name: customer_key
        tests:
          - relationships: {to: marts.dim_customer, field: customer_key}
      - name: status_name
        tests:
          - accepted_values: {values: [Open, Shipped, Cancelled]}
    tests:
      - name: amounts_are_positive
        sql: select * from marts.fct_orders where double_amount <= 0
  - name: dim_customer
    description: One row per customer.
    columns:
      - name: customer_key
        tests: [not_null, unique]
""",
    "reports/rpt_revenue.sql": """with

orders as (
    select * from marts.fct_orders
),

customers as (
    select * from marts.dim_customer
),

final as (
    select
        customers.customer_name,
        sum(orders.double_amount) as revenue
    from orders
    inner join customers on orders.customer_key = customers.customer_key
    group by customers.customer_name
)

select * from final
""",
    "source/sales.orders.sql": """create table if not exists sales.orders (
    orderid integer not null primary key,
    customerid integer,
    amount numeric(19, 4),
    status smallint,
    modifieddate timestamp
);
""",
}


def write_project(root: Path, files: dict[str, str] | None = None, **extra: str) -> Path:
    """Write BASE_FILES (or `files`) plus `extra` (key = path with `__` for `/`) under root/sql."""
    sql_dir = root / "sql"
    chosen = dict(BASE_FILES if files is None else files)
    chosen.update({k.replace("__", "/", 1): v for k, v in extra.items()})
    for relative, text in chosen.items():
        path = sql_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return sql_dir


def write_file(sql_dir: Path, relative: str, text: str) -> Path:
    """Write one file under sql_dir."""
    path = sql_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_raw(settings: Settings, orders: list[tuple[int, int, str, int]] | None = None) -> None:
    """Create the raw tables the base project reads (orders: id, customer, amount, status)."""
    orders = (
        orders if orders is not None else [(1, 10, "5.5", 1), (2, 10, "7.25", 2), (3, 11, "1", 3)]
    )
    with DuckDBWarehouse(settings.duckdb_path) as wh:
        wh.create_layer("raw")
        wh.execute(
            "create or replace table raw.sales_orders (orderid bigint, customerid bigint,"
            " amount decimal(38, 9), status bigint, modifieddate timestamp)"
        )
        for row in orders:
            wh.execute(
                "insert into raw.sales_orders values (?, ?, ?, ?, now()::timestamp)", list(row)
            )
        wh.execute("create or replace table raw.sales_customers (customerid bigint, name varchar)")
        wh.execute("insert into raw.sales_customers values (10, 'Ana'), (11, 'Bo')")


def settings_for(tmp_path: Path) -> Settings:
    """Settings with a DuckDB warehouse in tmp_path."""
    return Settings(duckdb_path=tmp_path / "warehouse.duckdb", home=tmp_path / "home")
