-- One row per web session with a page view in the last 25 hours: what the dashboard's live panel
-- reads (windows of up to 24 hours). A view, evaluated when read. Its filter sits on the event
-- time itself, before any aggregation, so on BigQuery it reads only the last two days'
-- partitions of raw.web_events; marts.fct_web_sessions (every session) reads them all. A session
-- that began more than 25 hours ago shows only its recent page views.
with

events as (
    select * from staging.stg_web__events
),

recent as (
    select
        session_id,
        country_name,
        device_type,
        event_at,
        order_value
    from events
    where event_at >= timestamp_sub(current_timestamp(), interval 25 hour)
),

final as (
    select
        session_id,
        min(country_name) as country_name,
        min(device_type) as device_type,
        min(event_at) as started_at,
        max(event_at) as ended_at,
        count(*) as page_views,
        countif(order_value > 0) as orders,
        sum(order_value) as order_value
    from recent
    group by session_id
)

select * from final
