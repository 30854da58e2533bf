-- Key 0 is the explicit "No card" member, so orders paid otherwise still join to this dimension.
with

credit_cards as (
    select * from staging.stg_sales__credit_cards
),

cards as (
    select
        credit_card_id as credit_card_key,
        credit_card_id,
        card_type,
        card_number_last_4,
        expiry_month,
        expiry_year
    from credit_cards
),

no_card as (
    select
        0 as credit_card_key,
        cast(null as int64) as credit_card_id,
        'No card' as card_type,
        cast(null as string) as card_number_last_4,
        cast(null as int64) as expiry_month,
        cast(null as int64) as expiry_year
),

final as (
    select
        credit_card_key,
        credit_card_id,
        card_type,
        card_number_last_4,
        expiry_month,
        expiry_year
    from cards
    union all
    select
        credit_card_key,
        credit_card_id,
        card_type,
        card_number_last_4,
        expiry_month,
        expiry_year
    from no_card
)

select * from final
