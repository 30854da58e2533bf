-- Dimension keys are computed from the natural ids the same way the dimensions build them,
-- so the fact needs no lookup joins and an incremental merge touches only changed orders.
with

order_headers as (
    select * from staging.stg_sales__order_headers
),

order_details as (
    select * from staging.stg_sales__order_details
),

order_lines as (
    select
        order_details.sales_order_id,
        order_details.sales_order_detail_id,
        order_headers.order_date,
        order_headers.customer_id,
        order_details.product_id,
        order_headers.ship_to_address_id,
        order_headers.credit_card_id,
        order_headers.status_code,
        order_headers.is_online_order,
        order_details.order_quantity,
        order_details.unit_price,
        order_details.unit_price_discount,
        -- money has 4 decimals and discounts 4 at most: the exact product fits numeric (38
        -- digits, 9 decimals; compiled as DECIMAL(38, 9) for DuckDB), exact on both engines.
        cast(
            order_details.order_quantity
            * order_details.unit_price
            * (1 - order_details.unit_price_discount)
            as numeric
        ) as line_total,
        greatest(order_headers.modified_at, order_details.modified_at) as modified_at
    from order_details
    inner join order_headers
        on order_details.sales_order_id = order_headers.sales_order_id
),

final as (
    select
        sales_order_id,
        sales_order_detail_id,
        extract(year from order_date) * 10000
        + extract(month from order_date) * 100
        + extract(day from order_date) as order_date_key,
        order_date,
        customer_id as customer_key,
        product_id as product_key,
        ship_to_address_id as ship_to_address_key,
        coalesce(credit_card_id, 0) as credit_card_key,
        status_code as order_status_key,
        case when is_online_order then 1 else 0 end as online_order_flag_key,
        order_quantity,
        unit_price,
        unit_price_discount,
        line_total,
        modified_at
    from order_lines
)

select * from final
