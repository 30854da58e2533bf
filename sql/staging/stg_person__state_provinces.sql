-- char(n) columns keep the source's blank padding: trim it once, here.
with

source as (
    select * from raw.person_stateprovince
    where not coalesce(_is_deleted, false)
),

final as (
    select
        cast(stateprovinceid as int64) as state_province_id,
        trim(cast(stateprovincecode as string)) as state_province_code,
        trim(cast(countryregioncode as string)) as country_region_code,
        cast(isonlystateprovinceflag as bool) as is_only_state_province,
        cast(name as string) as state_province_name,
        cast(territoryid as int64) as territory_id,
        cast(modifieddate as datetime) as modified_at
    from source
)

select * from final
