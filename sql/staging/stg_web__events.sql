with

source as (
    select * from raw.web_events
),

final as (
    select
        cast(event_id as string) as event_id,
        -- as stored (a TIMESTAMP; raw.web_events is partitioned by it on BigQuery): a filter
        -- on event_at is then one on the partitioning column itself, so BigQuery skips days
        `timestamp` as event_at,
        cast(session_id as string) as session_id,
        cast(user_id as string) as user_id,
        safe_cast(user_id as int64) as customer_id,
        cast(page_url as string) as page_url,
        cast(referrer_url as string) as referrer_url,
        cast(ip_address as string) as ip_address,
        cast(user_agent as string) as user_agent,
        cast(device_type as string) as device_type,
        cast(duration as float64) as duration_seconds,
        cast(country as string) as country_name,
        cast(round(order_value, 2) as numeric) as order_value,
        cast(_ingested_at as timestamp) as ingested_at
    from source
)

select * from final
