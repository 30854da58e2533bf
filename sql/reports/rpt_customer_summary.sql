-- Question 2b: average spend per customer and average order value, over orders with lines.
with

sales as (
    select * from marts.fct_sales
),

totals as (
    select
        count(distinct customer_key) as customers_with_orders,
        count(distinct sales_order_id) as orders,
        coalesce(sum(line_total), 0) as revenue
    from sales
),

final as (
    select
        customers_with_orders,
        orders,
        revenue,
        -- Rounded so both engines agree: numeric ÷ integer is NUMERIC on BigQuery but DOUBLE
        -- on DuckDB.
        round(safe_divide(revenue, orders), 4) as avg_order_value,
        round(safe_divide(revenue, customers_with_orders), 4) as avg_spend_per_customer
    from totals
)

select * from final
