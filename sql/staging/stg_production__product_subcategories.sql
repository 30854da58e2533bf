with

source as (
    select * from raw.production_productsubcategory
    where not coalesce(_is_deleted, false)
),

final as (
    select
        cast(productsubcategoryid as int64) as product_subcategory_id,
        cast(productcategoryid as int64) as product_category_id,
        cast(name as string) as product_subcategory_name,
        cast(modifieddate as datetime) as modified_at
    from source
)

select * from final
