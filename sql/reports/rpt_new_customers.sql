-- Question 2a: new customers per month, a customer counting in the month of their first order.
with

sales as (
    select * from marts.fct_sales
),

first_orders as (
    select
        customer_key,
        min(order_date) as first_order_date
    from sales
    group by customer_key
),

new_by_month as (
    select
        date(
            extract(year from first_order_date), extract(month from first_order_date), 1
        ) as month_start_date,
        count(*) as new_customers
    from first_orders
    group by month_start_date
),

final as (
    select
        month_start_date,
        extract(year from month_start_date) as year,
        extract(month from month_start_date) as month,
        new_customers
    from new_by_month
)

select * from final
