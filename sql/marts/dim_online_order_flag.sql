-- Key 1 = placed online, 0 = placed by a sales person (the seed holds the names).
with

online_order_flag as (
    select * from seeds.online_order_flag
),

final as (
    select
        case when cast(online_order_flag as bool) then 1 else 0 end as online_order_flag_key,
        cast(online_order_flag as bool) as is_online_order,
        cast(online_order_flag_name as string) as online_order_flag_name
    from online_order_flag
)

select * from final
