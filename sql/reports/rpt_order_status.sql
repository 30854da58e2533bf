-- Question 3a: orders and value by status, named by the order_status seed.
with

sales as (
    select * from marts.fct_sales
),

order_status as (
    select * from marts.dim_order_status
),

by_status as (
    select
        order_status.status_code,
        order_status.status_name,
        count(distinct sales.sales_order_id) as orders,
        sum(sales.line_total) as revenue
    from sales
    inner join order_status
        on sales.order_status_key = order_status.order_status_key
    group by
        order_status.status_code,
        order_status.status_name
),

final as (
    select
        status_name as status,
        status_code,
        orders,
        revenue
    from by_status
)

select * from final
