with

source as (
    select * from raw.sales_salesorderheader
    where not coalesce(_is_deleted, false)
),

final as (
    select
        cast(salesorderid as int64) as sales_order_id,
        cast(revisionnumber as int64) as revision_number,
        cast(orderdate as datetime) as ordered_at,
        cast(orderdate as date) as order_date,
        cast(duedate as datetime) as due_at,
        cast(duedate as date) as due_date,
        cast(shipdate as datetime) as shipped_at,
        cast(shipdate as date) as ship_date,
        cast(status as int64) as status_code,
        cast(onlineorderflag as bool) as is_online_order,
        cast(purchaseordernumber as string) as purchase_order_number,
        cast(accountnumber as string) as account_number,
        cast(customerid as int64) as customer_id,
        cast(salespersonid as int64) as sales_person_id,
        cast(territoryid as int64) as territory_id,
        cast(billtoaddressid as int64) as bill_to_address_id,
        cast(shiptoaddressid as int64) as ship_to_address_id,
        cast(shipmethodid as int64) as ship_method_id,
        cast(creditcardid as int64) as credit_card_id,
        cast(creditcardapprovalcode as string) as credit_card_approval_code,
        cast(currencyrateid as int64) as currency_rate_id,
        cast(subtotal as numeric) as subtotal,
        cast(taxamt as numeric) as tax_amount,
        cast(freight as numeric) as freight,
        cast(totaldue as numeric) as total_due,
        cast(comment as string) as order_comment,
        cast(modifieddate as datetime) as modified_at
    from source
)

select * from final
