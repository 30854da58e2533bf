-- Question 5: web traffic by country. Empty until the streaming layer lands; the columns and
-- their types are the contract the report and the dashboard already read.
with

no_events_yet as (
    select 1 as placeholder
),

final as (
    select
        cast(null as string) as country,
        cast(null as int64) as visits,
        cast(null as int64) as sessions,
        cast(null as int64) as orders,
        cast(null as numeric(38, 9)) as order_value
    from no_events_yet
    where false
)

select * from final
