-- One row per web session: how far down the funnel it went and what it bought. A view over the
-- page views, so the sessions of events streamed a second ago are there without a transform run.
with

page_views as (
    select * from marts.fct_web_page_views
),

customers as (
    select * from marts.dim_customer
),

sessions as (
    select
        session_id,
        min(user_id) as user_id,
        min(customer_id) as customer_id,
        min(country_name) as country_name,
        min(device_type) as device_type,
        min(event_at) as started_at,
        max(event_at) as ended_at,
        count(*) as page_views,
        max(funnel_stage) as deepest_funnel_stage,
        countif(order_value > 0) as orders,
        sum(order_value) as order_value,
        sum(duration_seconds) as duration_seconds
    from page_views
    group by session_id
),

final as (
    select
        sessions.session_id,
        sessions.user_id,
        customers.customer_key,
        sessions.country_name,
        sessions.device_type,
        sessions.started_at,
        sessions.ended_at,
        sessions.page_views,
        sessions.deepest_funnel_stage,
        sessions.orders,
        sessions.order_value,
        sessions.duration_seconds,
        sessions.orders > 0 as is_converted
    from sessions
    left join customers
        on sessions.customer_id = customers.customer_id
)

select * from final
