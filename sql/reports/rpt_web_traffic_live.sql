-- The last 15 minutes of web traffic by country: the real-time view. A view, evaluated at query
-- time, so it always covers the 15 minutes before the moment it is read.
with

events as (
    select * from staging.stg_web__events
),

recent as (
    select
        country_name,
        session_id,
        order_value,
        event_at
    from events
    where event_at >= timestamp_sub(current_timestamp(), interval 15 minute)
),

final as (
    select
        country_name as country,
        count(*) as visits,
        count(distinct session_id) as sessions,
        countif(order_value > 0) as orders,
        coalesce(sum(order_value), 0) as order_value,
        safe_divide(countif(order_value > 0), count(distinct session_id)) as conversion_rate,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at
    from recent
    group by country_name
)

select * from final
