-- Question 5: web traffic by country, next to what the shop sold to that ship-to country. A view
-- over the stream, so `report` shows events as soon as they are ingested.
with

events as (
    select * from staging.stg_web__events
),

sales as (
    select * from marts.fct_sales
),

addresses as (
    select * from marts.dim_address
),

traffic as (
    select
        country_name,
        count(*) as visits,
        count(distinct session_id) as sessions,
        countif(order_value > 0) as orders,
        coalesce(sum(order_value), 0) as order_value
    from events
    group by country_name
),

sales_by_country as (
    select
        addresses.country_name,
        count(distinct sales.sales_order_id) as sales_orders,
        sum(sales.line_total) as sales_revenue
    from sales
    inner join addresses
        on sales.ship_to_address_key = addresses.address_key
    group by addresses.country_name
),

final as (
    select
        traffic.country_name as country,
        traffic.visits,
        traffic.sessions,
        traffic.orders,
        traffic.order_value,
        safe_divide(traffic.orders, traffic.sessions) as conversion_rate,
        safe_divide(traffic.order_value, traffic.visits) as order_value_per_visit,
        coalesce(sales_by_country.sales_orders, 0) as sales_orders,
        coalesce(sales_by_country.sales_revenue, 0) as sales_revenue,
        safe_divide(sales_by_country.sales_revenue, traffic.visits) as revenue_per_visit
    from traffic
    left join sales_by_country
        on traffic.country_name = sales_by_country.country_name
)

select * from final
