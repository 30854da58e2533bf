-- Products without a subcategory are kept: their subcategory and category read '(none)'.
with

products as (
    select * from staging.stg_production__products
),

subcategories as (
    select * from staging.stg_production__product_subcategories
),

categories as (
    select * from staging.stg_production__product_categories
),

products_classified as (
    select
        products.product_id,
        products.product_name,
        products.product_number,
        products.color,
        products.size,
        products.product_line,
        products.standard_cost,
        products.list_price,
        products.is_finished_good,
        products.sell_started_at,
        products.sell_ended_at,
        products.discontinued_at,
        products.product_subcategory_id,
        subcategories.product_category_id,
        subcategories.product_subcategory_name,
        categories.product_category_name
    from products
    left join subcategories
        on products.product_subcategory_id = subcategories.product_subcategory_id
    left join categories
        on subcategories.product_category_id = categories.product_category_id
),

final as (
    select
        product_id as product_key,
        product_id,
        product_name,
        product_number,
        color,
        size,
        product_line,
        standard_cost,
        list_price,
        is_finished_good,
        sell_started_at,
        sell_ended_at,
        discontinued_at,
        product_subcategory_id,
        coalesce(product_subcategory_name, '(none)') as subcategory_name,
        product_category_id,
        coalesce(product_category_name, '(none)') as category_name
    from products_classified
)

select * from final
