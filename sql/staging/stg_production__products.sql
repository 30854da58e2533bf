-- char(n) columns keep the source's blank padding: trim it once, here.
with

source as (
    select * from raw.production_product
    where not coalesce(_is_deleted, false)
),

final as (
    select
        cast(productid as int64) as product_id,
        cast(name as string) as product_name,
        cast(productnumber as string) as product_number,
        cast(makeflag as bool) as is_made_in_house,
        cast(finishedgoodsflag as bool) as is_finished_good,
        cast(color as string) as color,
        cast(safetystocklevel as int64) as safety_stock_level,
        cast(reorderpoint as int64) as reorder_point,
        cast(standardcost as numeric) as standard_cost,
        cast(listprice as numeric) as list_price,
        cast(size as string) as size,
        trim(cast(sizeunitmeasurecode as string)) as size_unit_measure_code,
        trim(cast(weightunitmeasurecode as string)) as weight_unit_measure_code,
        cast(weight as numeric) as weight,
        cast(daystomanufacture as int64) as days_to_manufacture,
        trim(cast(productline as string)) as product_line,
        trim(cast(class as string)) as product_class,
        trim(cast(style as string)) as product_style,
        cast(productsubcategoryid as int64) as product_subcategory_id,
        cast(productmodelid as int64) as product_model_id,
        cast(sellstartdate as datetime) as sell_started_at,
        cast(sellenddate as datetime) as sell_ended_at,
        cast(discontinueddate as datetime) as discontinued_at,
        cast(modifieddate as datetime) as modified_at
    from source
)

select * from final
