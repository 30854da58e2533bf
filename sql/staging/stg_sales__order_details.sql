with

source as (
    select * from raw.sales_salesorderdetail
    where not coalesce(_is_deleted, false)
),

final as (
    select
        cast(salesorderid as int64) as sales_order_id,
        cast(salesorderdetailid as int64) as sales_order_detail_id,
        cast(carriertrackingnumber as string) as carrier_tracking_number,
        cast(orderqty as int64) as order_quantity,
        cast(productid as int64) as product_id,
        cast(specialofferid as int64) as special_offer_id,
        cast(unitprice as numeric) as unit_price,
        cast(unitpricediscount as numeric) as unit_price_discount,
        cast(modifieddate as datetime) as modified_at
    from source
)

select * from final
