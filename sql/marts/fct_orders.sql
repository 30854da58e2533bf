-- One row per order with the header's own money columns (not re-derived from its lines).
with

order_headers as (
    select * from staging.stg_sales__order_headers
),

final as (
    select
        sales_order_id,
        extract(year from order_date) * 10000
        + extract(month from order_date) * 100
        + extract(day from order_date) as order_date_key,
        extract(year from ship_date) * 10000
        + extract(month from ship_date) * 100
        + extract(day from ship_date) as ship_date_key,
        extract(year from due_date) * 10000
        + extract(month from due_date) * 100
        + extract(day from due_date) as due_date_key,
        order_date,
        ship_date,
        due_date,
        customer_id as customer_key,
        ship_to_address_id as ship_to_address_key,
        bill_to_address_id as bill_to_address_key,
        coalesce(credit_card_id, 0) as credit_card_key,
        status_code as order_status_key,
        case when is_online_order then 1 else 0 end as online_order_flag_key,
        subtotal,
        tax_amount,
        freight,
        total_due,
        modified_at
    from order_headers
)

select * from final
