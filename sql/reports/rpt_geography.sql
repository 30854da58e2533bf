-- Question 4: orders and revenue by ship-to country, state/province and city.
with

sales as (
    select * from marts.fct_sales
),

addresses as (
    select * from marts.dim_address
),

by_city as (
    select
        addresses.country_name,
        addresses.state_province_name,
        addresses.city,
        count(distinct sales.sales_order_id) as orders,
        sum(sales.line_total) as revenue
    from sales
    inner join addresses
        on sales.ship_to_address_key = addresses.address_key
    group by
        addresses.country_name,
        addresses.state_province_name,
        addresses.city
),

final as (
    select
        country_name as country,
        state_province_name as state_province,
        city,
        orders,
        revenue
    from by_city
)

select * from final
