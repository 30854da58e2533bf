with

order_status as (
    select * from seeds.order_status
),

final as (
    select
        cast(status_code as int64) as order_status_key,
        cast(status_code as int64) as status_code,
        cast(status_name as string) as status_name
    from order_status
)

select * from final
