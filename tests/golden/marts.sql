-- Golden file: the DuckDB SQL that compile_all("duckdb") produces for every model in sql/marts/.
-- tests/unit/test_golden.py fails when it changes. After an intended change regenerate it with
--     .venv/bin/pytest tests/unit/test_golden.py --update-goldens
-- and review the diff. Each model starts at a `-- model: <name>` line.

-- model: dim_address
/* Every address (role-played as ship-to and bill-to by the facts) with its geography. */
WITH addresses AS (
  SELECT
    *
  FROM staging.stg_person__addresses
), state_provinces AS (
  SELECT
    *
  FROM staging.stg_person__state_provinces
), country_regions AS (
  SELECT
    *
  FROM staging.stg_person__country_regions
), addresses_located AS (
  SELECT
    addresses.address_id,
    addresses.address_line_1,
    addresses.address_line_2,
    addresses.city,
    addresses.postal_code,
    addresses.state_province_id,
    state_provinces.state_province_code,
    state_provinces.state_province_name,
    state_provinces.country_region_code,
    country_regions.country_region_name
  FROM addresses
  LEFT JOIN state_provinces
    ON addresses.state_province_id = state_provinces.state_province_id
  LEFT JOIN country_regions
    ON state_provinces.country_region_code = country_regions.country_region_code
), final AS (
  SELECT
    address_id AS address_key,
    address_id,
    address_line_1,
    address_line_2,
    city,
    postal_code,
    state_province_id,
    state_province_code,
    COALESCE(state_province_name, '(unknown)') AS state_province_name,
    country_region_code,
    COALESCE(country_region_name, '(unknown)') AS country_name
  FROM addresses_located
)
SELECT
  *
FROM final

-- model: dim_credit_card
/* Key 0 is the explicit "No card" member, so orders paid otherwise still join to this dimension. */
WITH credit_cards AS (
  SELECT
    *
  FROM staging.stg_sales__credit_cards
), cards AS (
  SELECT
    credit_card_id AS credit_card_key,
    credit_card_id,
    card_type,
    card_number_last_4,
    expiry_month,
    expiry_year
  FROM credit_cards
), no_card AS (
  SELECT
    0 AS credit_card_key,
    CAST(NULL AS BIGINT) AS credit_card_id,
    'No card' AS card_type,
    CAST(NULL AS TEXT) AS card_number_last_4,
    CAST(NULL AS BIGINT) AS expiry_month,
    CAST(NULL AS BIGINT) AS expiry_year
), final AS (
  SELECT
    credit_card_key,
    credit_card_id,
    card_type,
    card_number_last_4,
    expiry_month,
    expiry_year
  FROM cards
  UNION ALL
  SELECT
    credit_card_key,
    credit_card_id,
    card_type,
    card_number_last_4,
    expiry_month,
    expiry_year
  FROM no_card
)
SELECT
  *
FROM final

-- model: dim_customer
/* Surrogate key = the source's integer customer id: deterministic, portable, and facts can */
/* compute it without a lookup join (no history is kept, so one row per customer suffices). */
WITH customers AS (
  SELECT
    *
  FROM staging.stg_sales__customers
), persons AS (
  SELECT
    *
  FROM staging.stg_person__persons
), stores AS (
  SELECT
    *
  FROM staging.stg_sales__stores
), person_names AS (
  /* "First Middle Last"; a missing or blank middle name is left out, never nulls the name. */
  SELECT
    person_id,
    CASE
      WHEN NULLIF(TRIM(middle_name), '') IS NULL
      THEN TRIM(first_name) || ' ' || TRIM(last_name)
      ELSE TRIM(first_name) || ' ' || TRIM(middle_name) || ' ' || TRIM(last_name)
    END AS person_name
  FROM persons
), customers_named AS (
  SELECT
    customers.customer_id,
    customers.person_id,
    customers.store_id,
    customers.territory_id,
    stores.store_name,
    person_names.person_name,
    CASE
      WHEN NOT customers.store_id IS NULL
      THEN 'Store'
      WHEN NOT customers.person_id IS NULL
      THEN 'Individual'
      ELSE 'Unknown'
    END AS customer_type
  FROM customers
  LEFT JOIN stores
    ON customers.store_id = stores.store_id
  LEFT JOIN person_names
    ON customers.person_id = person_names.person_id
), final AS (
  SELECT
    customer_id AS customer_key,
    customer_id,
    customer_type,
    COALESCE(
      CASE WHEN customer_type = 'Store' THEN store_name ELSE person_name END,
      store_name,
      person_name,
      'Customer ' || CAST(customer_id AS TEXT)
    ) AS customer_name,
    person_name AS contact_name,
    store_name,
    person_id,
    store_id,
    territory_id
  FROM customers_named
)
SELECT
  *
FROM final

-- model: dim_date
/* Every day from the first order date through the last order, ship or due date. ISO week and */
/* weekday are computed by arithmetic from a known Monday (1900-01-01) rather than with ISOWEEK, */
/* EXTRACT(DAYOFWEEK) or FORMAT, which transpile to different numbering on other engines. */
WITH order_headers AS (
  SELECT
    *
  FROM staging.stg_sales__order_headers
), bounds AS (
  SELECT
    MIN(order_date) AS first_date,
    MAX(
      CASE
        WHEN order_date IS NULL OR due_date IS NULL OR COALESCE(ship_date, order_date) IS NULL
        THEN NULL
        ELSE GREATEST(order_date, due_date, COALESCE(ship_date, order_date))
      END
    ) AS last_date /* coalesce: greatest() is NULL with any NULL argument on BigQuery, not on DuckDB. */
  FROM order_headers
), calendar AS (
  SELECT
    date_day
  FROM bounds
  CROSS JOIN UNNEST(CAST(GENERATE_SERIES(bounds.first_date, bounds.last_date, INTERVAL '1' DAY) AS DATE[])) AS _t0(date_day)
), weekdays AS (
  SELECT
    date_day,
    DATE_DIFF('DAY', CAST('1900-01-01' AS DATE), date_day) % /* ISO day of week: 1 = Monday … 7 = Sunday. */ 7 + 1 AS iso_day_of_week
  FROM calendar
), iso_weeks AS (
  /* An ISO week belongs to the year of its Thursday and is numbered from that year's first one. */
  SELECT
    date_day,
    iso_day_of_week,
    CAST(date_day + INTERVAL (4 - iso_day_of_week) DAY AS DATE) AS week_thursday
  FROM weekdays
), iso_week_offsets AS (
  /* A plain column for div(): sqlglot drops the parentheses of an expression argument there. */
  SELECT
    date_day,
    iso_day_of_week,
    week_thursday,
    EXTRACT(DAYOFYEAR FROM week_thursday) - 1 AS thursday_days_into_year
  FROM iso_weeks
), final AS (
  SELECT
    EXTRACT(YEAR FROM date_day) * 10000 + EXTRACT(MONTH FROM date_day) * 100 + EXTRACT(DAY FROM date_day) AS date_key,
    date_day,
    EXTRACT(YEAR FROM date_day) AS year_number,
    EXTRACT(QUARTER FROM date_day) AS quarter_number,
    EXTRACT(MONTH FROM date_day) AS month_number,
    CASE EXTRACT(MONTH FROM date_day)
      WHEN 1
      THEN 'January'
      WHEN 2
      THEN 'February'
      WHEN 3
      THEN 'March'
      WHEN 4
      THEN 'April'
      WHEN 5
      THEN 'May'
      WHEN 6
      THEN 'June'
      WHEN 7
      THEN 'July'
      WHEN 8
      THEN 'August'
      WHEN 9
      THEN 'September'
      WHEN 10
      THEN 'October'
      WHEN 11
      THEN 'November'
      WHEN 12
      THEN 'December'
    END AS month_name,
    MAKE_DATE(EXTRACT(YEAR FROM date_day), EXTRACT(MONTH FROM date_day), 1) AS month_start_date,
    EXTRACT(DAY FROM date_day) AS day_of_month,
    EXTRACT(DAYOFYEAR FROM date_day) AS day_of_year,
    EXTRACT(YEAR FROM week_thursday) AS iso_year,
    thursday_days_into_year // 7 + 1 AS iso_week,
    iso_day_of_week,
    CASE iso_day_of_week
      WHEN 1
      THEN 'Monday'
      WHEN 2
      THEN 'Tuesday'
      WHEN 3
      THEN 'Wednesday'
      WHEN 4
      THEN 'Thursday'
      WHEN 5
      THEN 'Friday'
      WHEN 6
      THEN 'Saturday'
      WHEN 7
      THEN 'Sunday'
    END AS weekday_name,
    iso_day_of_week >= 6 AS is_weekend
  FROM iso_week_offsets
)
SELECT
  *
FROM final

-- model: dim_online_order_flag
/* Key 1 = placed online, 0 = placed by a sales person (the seed holds the names). */
WITH online_order_flag AS (
  SELECT
    *
  FROM seeds.online_order_flag
), final AS (
  SELECT
    CASE WHEN CAST(online_order_flag AS BOOLEAN) THEN 1 ELSE 0 END AS online_order_flag_key,
    CAST(online_order_flag AS BOOLEAN) AS is_online_order,
    CAST(online_order_flag_name AS TEXT) AS online_order_flag_name
  FROM online_order_flag
)
SELECT
  *
FROM final

-- model: dim_order_status
WITH order_status AS (
  SELECT
    *
  FROM seeds.order_status
), final AS (
  SELECT
    CAST(status_code AS BIGINT) AS order_status_key,
    CAST(status_code AS BIGINT) AS status_code,
    CAST(status_name AS TEXT) AS status_name
  FROM order_status
)
SELECT
  *
FROM final

-- model: dim_product
/* Products without a subcategory are kept: their subcategory and category read '(none)'. */
WITH products AS (
  SELECT
    *
  FROM staging.stg_production__products
), subcategories AS (
  SELECT
    *
  FROM staging.stg_production__product_subcategories
), categories AS (
  SELECT
    *
  FROM staging.stg_production__product_categories
), products_classified AS (
  SELECT
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
  FROM products
  LEFT JOIN subcategories
    ON products.product_subcategory_id = subcategories.product_subcategory_id
  LEFT JOIN categories
    ON subcategories.product_category_id = categories.product_category_id
), final AS (
  SELECT
    product_id AS product_key,
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
    COALESCE(product_subcategory_name, '(none)') AS subcategory_name,
    product_category_id,
    COALESCE(product_category_name, '(none)') AS category_name
  FROM products_classified
)
SELECT
  *
FROM final

-- model: fct_orders
/* One row per order with the header's own money columns (not re-derived from its lines). */
WITH order_headers AS (
  SELECT
    *
  FROM staging.stg_sales__order_headers
), final AS (
  SELECT
    sales_order_id,
    EXTRACT(YEAR FROM order_date) * 10000 + EXTRACT(MONTH FROM order_date) * 100 + EXTRACT(DAY FROM order_date) AS order_date_key,
    EXTRACT(YEAR FROM ship_date) * 10000 + EXTRACT(MONTH FROM ship_date) * 100 + EXTRACT(DAY FROM ship_date) AS ship_date_key,
    EXTRACT(YEAR FROM due_date) * 10000 + EXTRACT(MONTH FROM due_date) * 100 + EXTRACT(DAY FROM due_date) AS due_date_key,
    order_date,
    ship_date,
    due_date,
    customer_id AS customer_key,
    ship_to_address_id AS ship_to_address_key,
    bill_to_address_id AS bill_to_address_key,
    COALESCE(credit_card_id, 0) AS credit_card_key,
    status_code AS order_status_key,
    CASE WHEN is_online_order THEN 1 ELSE 0 END AS online_order_flag_key,
    subtotal,
    tax_amount,
    freight,
    total_due,
    modified_at
  FROM order_headers
)
SELECT
  *
FROM final

-- model: fct_sales
/* Dimension keys are computed from the natural ids the same way the dimensions build them, */
/* so the fact needs no lookup joins and an incremental merge touches only changed orders. */
WITH order_headers AS (
  SELECT
    *
  FROM staging.stg_sales__order_headers
), order_details AS (
  SELECT
    *
  FROM staging.stg_sales__order_details
), order_lines AS (
  SELECT
    order_details.sales_order_id,
    order_details.sales_order_detail_id,
    order_headers.order_date,
    order_headers.customer_id,
    order_details.product_id,
    order_headers.ship_to_address_id,
    order_headers.credit_card_id,
    order_headers.status_code,
    order_headers.is_online_order,
    order_details.order_quantity,
    order_details.unit_price,
    order_details.unit_price_discount,
    CAST(order_details.order_quantity * order_details.unit_price * (
      1 - order_details.unit_price_discount
    ) AS DECIMAL(38, 9)) AS line_total, /* money has 4 decimals and discounts 4 at most: the exact product fits numeric (38 */ /* digits, 9 decimals; compiled as DECIMAL(38, 9) for DuckDB), exact on both engines. */
    CASE
      WHEN order_headers.modified_at IS NULL OR order_details.modified_at IS NULL
      THEN NULL
      ELSE GREATEST(order_headers.modified_at, order_details.modified_at)
    END AS modified_at
  FROM order_details
  INNER JOIN order_headers
    ON order_details.sales_order_id = order_headers.sales_order_id
), final AS (
  SELECT
    sales_order_id,
    sales_order_detail_id,
    EXTRACT(YEAR FROM order_date) * 10000 + EXTRACT(MONTH FROM order_date) * 100 + EXTRACT(DAY FROM order_date) AS order_date_key,
    order_date,
    customer_id AS customer_key,
    product_id AS product_key,
    ship_to_address_id AS ship_to_address_key,
    COALESCE(credit_card_id, 0) AS credit_card_key,
    status_code AS order_status_key,
    CASE WHEN is_online_order THEN 1 ELSE 0 END AS online_order_flag_key,
    order_quantity,
    unit_price,
    unit_price_discount,
    line_total,
    modified_at
  FROM order_lines
)
SELECT
  *
FROM final

-- model: fct_web_page_views
/* One row per page view of the web stream, with the funnel stage its page marks. A view, so the */
/* page views streamed a second ago are there without a transform run; fct_web_sessions rolls it */
/* up per session. */
WITH events AS (
  SELECT
    *
  FROM staging.stg_web__events
), final AS (
  SELECT
    event_id,
    session_id,
    user_id,
    customer_id,
    country_name,
    device_type,
    referrer_url,
    event_at,
    duration_seconds,
    order_value,
    CASE
      WHEN page_url LIKE '%/checkout/complete%'
      THEN 5
      WHEN page_url LIKE '%/checkout%'
      THEN 4
      WHEN page_url LIKE '%/cart%'
      THEN 3
      WHEN page_url LIKE '%/product/%'
      THEN 2
      WHEN page_url LIKE '%/category/%'
      THEN 1
      ELSE 0
    END AS funnel_stage
  FROM events
)
SELECT
  *
FROM final

-- model: fct_web_sessions
/* One row per web session: how far down the funnel it went and what it bought. A view over the */
/* page views, so the sessions of events streamed a second ago are there without a transform run. */
WITH page_views AS (
  SELECT
    *
  FROM marts.fct_web_page_views
), customers AS (
  SELECT
    *
  FROM marts.dim_customer
), sessions AS (
  SELECT
    session_id,
    MIN(user_id) AS user_id,
    MIN(customer_id) AS customer_id,
    MIN(country_name) AS country_name,
    MIN(device_type) AS device_type,
    MIN(event_at) AS started_at,
    MAX(event_at) AS ended_at,
    COUNT(*) AS page_views,
    MAX(funnel_stage) AS deepest_funnel_stage,
    COUNT_IF(order_value > 0) AS orders,
    SUM(order_value) AS order_value,
    SUM(duration_seconds) AS duration_seconds
  FROM page_views
  GROUP BY
    session_id
), final AS (
  SELECT
    sessions.session_id,
    sessions.user_id,
    customers.customer_key,
    sessions.country_name,
    sessions.device_type,
    sessions.started_at,
    sessions.ended_at,
    sessions.page_views,
    sessions.deepest_funnel_stage,
    sessions.orders,
    sessions.order_value,
    sessions.duration_seconds,
    sessions.orders > 0 AS is_converted
  FROM sessions
  LEFT JOIN customers
    ON sessions.customer_id = customers.customer_id
)
SELECT
  *
FROM final
