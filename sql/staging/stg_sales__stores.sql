-- char(n) columns keep the source's blank padding: trim it once, here.
with

source as (
    select * from raw.sales_store
    where not coalesce(_is_deleted, false)
),

final as (
    select
        cast(businessentityid as int64) as store_id,
        trim(cast(name as string)) as store_name,
        cast(salespersonid as int64) as sales_person_id,
        cast(modifieddate as datetime) as modified_at
    from source
)

select * from final
