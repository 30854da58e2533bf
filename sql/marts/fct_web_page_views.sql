-- One row per page view of the web stream, with the funnel stage its page marks. A view, so the
-- page views streamed a second ago are there without a transform run; fct_web_sessions rolls it
-- up per session.
with

events as (
    select * from staging.stg_web__events
),

final as (
    select
        event_id,
        session_id,
        user_id,
        customer_id,
        country_name,
        device_type,
        referrer_url,
        event_at,
        duration_seconds,
        order_value,
        case
            when page_url like '%/checkout/complete%' then 5
            when page_url like '%/checkout%' then 4
            when page_url like '%/cart%' then 3
            when page_url like '%/product/%' then 2
            when page_url like '%/category/%' then 1
            else 0
        end as funnel_stage
    from events
)

select * from final
