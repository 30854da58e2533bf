-- Every address (role-played as ship-to and bill-to by the facts) with its geography.
with

addresses as (
    select * from staging.stg_person__addresses
),

state_provinces as (
    select * from staging.stg_person__state_provinces
),

country_regions as (
    select * from staging.stg_person__country_regions
),

addresses_located as (
    select
        addresses.address_id,
        addresses.address_line_1,
        addresses.address_line_2,
        addresses.city,
        addresses.postal_code,
        addresses.state_province_id,
        state_provinces.state_province_code,
        state_provinces.state_province_name,
        state_provinces.country_region_code,
        country_regions.country_region_name
    from addresses
    left join state_provinces
        on addresses.state_province_id = state_provinces.state_province_id
    left join country_regions
        on state_provinces.country_region_code = country_regions.country_region_code
),

final as (
    select
        address_id as address_key,
        address_id,
        address_line_1,
        address_line_2,
        city,
        postal_code,
        state_province_id,
        state_province_code,
        coalesce(state_province_name, '(unknown)') as state_province_name,
        country_region_code,
        coalesce(country_region_name, '(unknown)') as country_name
    from addresses_located
)

select * from final
