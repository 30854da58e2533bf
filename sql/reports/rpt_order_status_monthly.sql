-- Question 3b: orders and value by status and month of order.
with

sales as (
    select * from marts.fct_sales
),

order_status as (
    select * from marts.dim_order_status
),

dates as (
    select * from marts.dim_date
),

by_status_month as (
    select
        dates.month_start_date,
        order_status.status_code,
        order_status.status_name,
        count(distinct sales.sales_order_id) as orders,
        sum(sales.line_total) as revenue
    from sales
    inner join order_status
        on sales.order_status_key = order_status.order_status_key
    inner join dates
        on sales.order_date_key = dates.date_key
    group by
        dates.month_start_date,
        order_status.status_code,
        order_status.status_name
),

final as (
    select
        month_start_date,
        extract(year from month_start_date) as year,
        extract(month from month_start_date) as month,
        status_name as status,
        status_code,
        orders,
        revenue
    from by_status_month
)

select * from final
