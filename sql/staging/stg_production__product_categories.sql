with

source as (
    select * from raw.production_productcategory
    where not coalesce(_is_deleted, false)
),

final as (
    select
        cast(productcategoryid as int64) as product_category_id,
        cast(name as string) as product_category_name,
        cast(modifieddate as datetime) as modified_at
    from source
)

select * from final
