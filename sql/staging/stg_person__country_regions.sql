-- char(n) columns keep the source's blank padding: trim it once, here.
with

source as (
    select * from raw.person_countryregion
    where not coalesce(_is_deleted, false)
),

final as (
    select
        trim(cast(countryregioncode as string)) as country_region_code,
        cast(name as string) as country_region_name,
        cast(modifieddate as datetime) as modified_at
    from source
)

select * from final
