-- Every day from the first order date through the last order, ship or due date. ISO week and
-- weekday are computed by arithmetic from a known Monday (1900-01-01) rather than with ISOWEEK,
-- EXTRACT(DAYOFWEEK) or FORMAT, which transpile to different numbering on other engines.
with

order_headers as (
    select * from staging.stg_sales__order_headers
),

bounds as (
    select
        min(order_date) as first_date,
        -- coalesce: greatest() is NULL with any NULL argument on BigQuery, not on DuckDB.
        max(greatest(order_date, due_date, coalesce(ship_date, order_date))) as last_date
    from order_headers
),

calendar as (
    select date_day
    from bounds
    cross join unnest(generate_date_array(bounds.first_date, bounds.last_date)) as date_day
),

weekdays as (
    select
        date_day,
        -- ISO day of week: 1 = Monday … 7 = Sunday.
        mod(date_diff(date_day, date '1900-01-01', day), 7) + 1 as iso_day_of_week
    from calendar
),

iso_weeks as (
    -- An ISO week belongs to the year of its Thursday and is numbered from that year's first one.
    select
        date_day,
        iso_day_of_week,
        cast(date_add(date_day, interval 4 - iso_day_of_week day) as date) as week_thursday
    from weekdays
),

iso_week_offsets as (
    -- A plain column for div(): sqlglot drops the parentheses of an expression argument there.
    select
        date_day,
        iso_day_of_week,
        week_thursday,
        extract(dayofyear from week_thursday) - 1 as thursday_days_into_year
    from iso_weeks
),

final as (
    select
        extract(year from date_day) * 10000
        + extract(month from date_day) * 100
        + extract(day from date_day) as date_key,
        date_day,
        extract(year from date_day) as year_number,
        extract(quarter from date_day) as quarter_number,
        extract(month from date_day) as month_number,
        case extract(month from date_day)
            when 1 then 'January'
            when 2 then 'February'
            when 3 then 'March'
            when 4 then 'April'
            when 5 then 'May'
            when 6 then 'June'
            when 7 then 'July'
            when 8 then 'August'
            when 9 then 'September'
            when 10 then 'October'
            when 11 then 'November'
            when 12 then 'December'
        end as month_name,
        date(extract(year from date_day), extract(month from date_day), 1) as month_start_date,
        extract(day from date_day) as day_of_month,
        extract(dayofyear from date_day) as day_of_year,
        extract(year from week_thursday) as iso_year,
        div(thursday_days_into_year, 7) + 1 as iso_week,
        iso_day_of_week,
        case iso_day_of_week
            when 1 then 'Monday'
            when 2 then 'Tuesday'
            when 3 then 'Wednesday'
            when 4 then 'Thursday'
            when 5 then 'Friday'
            when 6 then 'Saturday'
            when 7 then 'Sunday'
        end as weekday_name,
        iso_day_of_week >= 6 as is_weekend
    from iso_week_offsets
)

select * from final
