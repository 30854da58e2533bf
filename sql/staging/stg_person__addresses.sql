with

source as (
    select * from raw.person_address
    where not coalesce(_is_deleted, false)
),

final as (
    select
        cast(addressid as int64) as address_id,
        cast(addressline1 as string) as address_line_1,
        cast(addressline2 as string) as address_line_2,
        cast(city as string) as city,
        cast(stateprovinceid as int64) as state_province_id,
        cast(postalcode as string) as postal_code,
        cast(modifieddate as datetime) as modified_at
    from source
)

select * from final
