-- char(n) columns keep the source's blank padding: trim it once, here.
with

source as (
    select * from raw.person_person
    where not coalesce(_is_deleted, false)
),

final as (
    select
        cast(businessentityid as int64) as person_id,
        trim(cast(persontype as string)) as person_type,
        cast(namestyle as bool) as has_eastern_name_order,
        cast(title as string) as title,
        cast(firstname as string) as first_name,
        cast(middlename as string) as middle_name,
        cast(lastname as string) as last_name,
        cast(suffix as string) as suffix,
        cast(emailpromotion as int64) as email_promotion,
        cast(modifieddate as datetime) as modified_at
    from source
)

select * from final
