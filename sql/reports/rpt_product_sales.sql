-- Question 1: what sells? Revenue is the sum of line totals (qty × unit price × (1 − discount)).
with

sales as (
    select * from marts.fct_sales
),

products as (
    select * from marts.dim_product
),

sales_by_subcategory as (
    select
        products.category_name,
        products.subcategory_name,
        count(distinct sales.sales_order_id) as orders,
        sum(sales.order_quantity) as units,
        sum(sales.line_total) as revenue
    from sales
    inner join products
        on sales.product_key = products.product_key
    group by
        products.category_name,
        products.subcategory_name
),

final as (
    select
        category_name as category,
        subcategory_name as subcategory,
        orders,
        units,
        revenue
    from sales_by_subcategory
)

select * from final
