-- Surrogate key = the source's integer customer id: deterministic, portable, and facts can
-- compute it without a lookup join (no history is kept, so one row per customer suffices).
with

customers as (
    select * from staging.stg_sales__customers
),

persons as (
    select * from staging.stg_person__persons
),

stores as (
    select * from staging.stg_sales__stores
),

person_names as (
    -- "First Middle Last"; a missing or blank middle name is left out, never nulls the name.
    select
        person_id,
        case
            when nullif(trim(middle_name), '') is null
                then concat(trim(first_name), ' ', trim(last_name))
            else concat(trim(first_name), ' ', trim(middle_name), ' ', trim(last_name))
        end as person_name
    from persons
),

customers_named as (
    select
        customers.customer_id,
        customers.person_id,
        customers.store_id,
        customers.territory_id,
        stores.store_name,
        person_names.person_name,
        case
            when customers.store_id is not null then 'Store'
            when customers.person_id is not null then 'Individual'
            else 'Unknown'
        end as customer_type
    from customers
    left join stores
        on customers.store_id = stores.store_id
    left join person_names
        on customers.person_id = person_names.person_id
),

final as (
    select
        customer_id as customer_key,
        customer_id,
        customer_type,
        coalesce(
            case when customer_type = 'Store' then store_name else person_name end,
            store_name,
            person_name,
            concat('Customer ', cast(customer_id as string))
        ) as customer_name,
        person_name as contact_name,
        store_name,
        person_id,
        store_id,
        territory_id
    from customers_named
)

select * from final
