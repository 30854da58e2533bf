-- One row per sales order as the raw layer holds it now, with when the source last wrote it:
-- what the dashboard's live orders panel reads. A view over staging's views of raw, evaluated
-- when read, so an order `cdc start` (or `sync`) merges into raw shows at the next read, with no
-- `transform` between (the marts are tables, rebuilt by `transform` only). Deleted orders are
-- gone: staging leaves out rows flagged _is_deleted (ADVENTURE_ELT_DELETE_MODE=soft), and hard
-- deletes remove them from raw.
with

orders as (
    select * from staging.stg_sales__order_headers
),

statuses as (
    select * from seeds.order_status
),

channels as (
    select * from seeds.online_order_flag
),

final as (
    select
        orders.sales_order_id,
        orders.order_date,
        coalesce(statuses.status_name, 'Unknown') as status_name,
        channels.online_order_flag_name as channel,
        orders.customer_id,
        orders.total_due,
        -- the source writes modifieddate as naive UTC (the application's clock); BigQuery
        -- casts a DATETIME to a TIMESTAMP in UTC (DuckDB in its session's time zone)
        cast(orders.modified_at as timestamp) as written_at
    from orders
    left join statuses
        on orders.status_code = statuses.status_code
    left join channels
        on orders.is_online_order = channels.online_order_flag
)

select * from final
