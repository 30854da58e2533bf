with

source as (
    select * from raw.sales_customer
    where not coalesce(_is_deleted, false)
),

final as (
    select
        cast(customerid as int64) as customer_id,
        cast(personid as int64) as person_id,
        cast(storeid as int64) as store_id,
        cast(territoryid as int64) as territory_id,
        cast(modifieddate as datetime) as modified_at
    from source
)

select * from final
