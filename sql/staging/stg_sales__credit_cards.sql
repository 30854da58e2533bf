-- Only the last four digits of a card number leave the source (PCI).
with

source as (
    select * from raw.sales_creditcard
    where not coalesce(_is_deleted, false)
),

final as (
    select
        cast(creditcardid as int64) as credit_card_id,
        cast(cardtype as string) as card_type,
        right(cast(cardnumber as string), 4) as card_number_last_4,
        cast(expmonth as int64) as expiry_month,
        cast(expyear as int64) as expiry_year,
        cast(modifieddate as datetime) as modified_at
    from source
)

select * from final
