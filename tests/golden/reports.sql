-- Golden file: the DuckDB SQL that compile_all("duckdb") produces for every model in sql/reports/.
-- tests/unit/test_golden.py fails when it changes. After an intended change regenerate it with
--     .venv/bin/pytest tests/unit/test_golden.py --update-goldens
-- and review the diff. Each model starts at a `-- model: <name>` line.

-- model: rpt_customer_summary
/* Question 2b: average spend per customer and average order value, over orders with lines. */
WITH sales AS (
  SELECT
    *
  FROM marts.fct_sales
), totals AS (
  SELECT
    COUNT(DISTINCT customer_key) AS customers_with_orders,
    COUNT(DISTINCT sales_order_id) AS orders,
    COALESCE(SUM(line_total), 0) AS revenue
  FROM sales
), final AS (
  SELECT
    customers_with_orders,
    orders,
    revenue,
    ROUND(CASE WHEN orders <> 0 THEN revenue / orders ELSE NULL END, 4) AS avg_order_value, /* Rounded so both engines agree: numeric ÷ integer is NUMERIC on BigQuery but DOUBLE */ /* on DuckDB. */
    ROUND(
      CASE
        WHEN customers_with_orders <> 0
        THEN revenue / customers_with_orders
        ELSE NULL
      END,
      4
    ) AS avg_spend_per_customer
  FROM totals
)
SELECT
  *
FROM final

-- model: rpt_geography
/* Question 4: orders and revenue by ship-to country, state/province and city. */
WITH sales AS (
  SELECT
    *
  FROM marts.fct_sales
), addresses AS (
  SELECT
    *
  FROM marts.dim_address
), by_city AS (
  SELECT
    addresses.country_name,
    addresses.state_province_name,
    addresses.city,
    COUNT(DISTINCT sales.sales_order_id) AS orders,
    SUM(sales.line_total) AS revenue
  FROM sales
  INNER JOIN addresses
    ON sales.ship_to_address_key = addresses.address_key
  GROUP BY
    addresses.country_name,
    addresses.state_province_name,
    addresses.city
), final AS (
  SELECT
    country_name AS country,
    state_province_name AS state_province,
    city,
    orders,
    revenue
  FROM by_city
)
SELECT
  *
FROM final

-- model: rpt_new_customers
/* Question 2a: new customers per month, a customer counting in the month of their first order. */
WITH sales AS (
  SELECT
    *
  FROM marts.fct_sales
), first_orders AS (
  SELECT
    customer_key,
    MIN(order_date) AS first_order_date
  FROM sales
  GROUP BY
    customer_key
), new_by_month AS (
  SELECT
    MAKE_DATE(EXTRACT(YEAR FROM first_order_date), EXTRACT(MONTH FROM first_order_date), 1) AS month_start_date,
    COUNT(*) AS new_customers
  FROM first_orders
  GROUP BY
    month_start_date
), final AS (
  SELECT
    month_start_date,
    EXTRACT(YEAR FROM month_start_date) AS year,
    EXTRACT(MONTH FROM month_start_date) AS month,
    new_customers
  FROM new_by_month
)
SELECT
  *
FROM final

-- model: rpt_order_status
/* Question 3a: orders and value by status, named by the order_status seed. */
WITH sales AS (
  SELECT
    *
  FROM marts.fct_sales
), order_status AS (
  SELECT
    *
  FROM marts.dim_order_status
), by_status AS (
  SELECT
    order_status.status_code,
    order_status.status_name,
    COUNT(DISTINCT sales.sales_order_id) AS orders,
    SUM(sales.line_total) AS revenue
  FROM sales
  INNER JOIN order_status
    ON sales.order_status_key = order_status.order_status_key
  GROUP BY
    order_status.status_code,
    order_status.status_name
), final AS (
  SELECT
    status_name AS status,
    status_code,
    orders,
    revenue
  FROM by_status
)
SELECT
  *
FROM final

-- model: rpt_order_status_monthly
/* Question 3b: orders and value by status and month of order. */
WITH sales AS (
  SELECT
    *
  FROM marts.fct_sales
), order_status AS (
  SELECT
    *
  FROM marts.dim_order_status
), dates AS (
  SELECT
    *
  FROM marts.dim_date
), by_status_month AS (
  SELECT
    dates.month_start_date,
    order_status.status_code,
    order_status.status_name,
    COUNT(DISTINCT sales.sales_order_id) AS orders,
    SUM(sales.line_total) AS revenue
  FROM sales
  INNER JOIN order_status
    ON sales.order_status_key = order_status.order_status_key
  INNER JOIN dates
    ON sales.order_date_key = dates.date_key
  GROUP BY
    dates.month_start_date,
    order_status.status_code,
    order_status.status_name
), final AS (
  SELECT
    month_start_date,
    EXTRACT(YEAR FROM month_start_date) AS year,
    EXTRACT(MONTH FROM month_start_date) AS month,
    status_name AS status,
    status_code,
    orders,
    revenue
  FROM by_status_month
)
SELECT
  *
FROM final

-- model: rpt_orders_live
/* One row per sales order as the raw layer holds it now, with when the source last wrote it: */
/* what the dashboard's live orders panel reads. A view over staging's views of raw, evaluated */
/* when read, so an order `cdc start` (or `sync`) merges into raw shows at the next read, with no */
/* `transform` between (the marts are tables, rebuilt by `transform` only). Deleted orders are */
/* gone: staging leaves out rows flagged _is_deleted (ADVENTURE_ELT_DELETE_MODE=soft), and hard */
/* deletes remove them from raw. */
WITH orders AS (
  SELECT
    *
  FROM staging.stg_sales__order_headers
), statuses AS (
  SELECT
    *
  FROM seeds.order_status
), channels AS (
  SELECT
    *
  FROM seeds.online_order_flag
), final AS (
  SELECT
    orders.sales_order_id,
    orders.order_date,
    COALESCE(statuses.status_name, 'Unknown') AS status_name,
    channels.online_order_flag_name AS channel,
    orders.customer_id,
    orders.total_due,
    CAST(orders.modified_at AS TIMESTAMPTZ) AS written_at /* the source writes modifieddate as naive UTC (the application's clock); BigQuery */ /* casts a DATETIME to a TIMESTAMP in UTC (DuckDB in its session's time zone) */
  FROM orders
  LEFT JOIN statuses
    ON orders.status_code = statuses.status_code
  LEFT JOIN channels
    ON orders.is_online_order = channels.online_order_flag
)
SELECT
  *
FROM final

-- model: rpt_product_sales
/* Question 1: what sells? Revenue is the sum of line totals (qty × unit price × (1 − discount)). */
WITH sales AS (
  SELECT
    *
  FROM marts.fct_sales
), products AS (
  SELECT
    *
  FROM marts.dim_product
), sales_by_subcategory AS (
  SELECT
    products.category_name,
    products.subcategory_name,
    COUNT(DISTINCT sales.sales_order_id) AS orders,
    SUM(sales.order_quantity) AS units,
    SUM(sales.line_total) AS revenue
  FROM sales
  INNER JOIN products
    ON sales.product_key = products.product_key
  GROUP BY
    products.category_name,
    products.subcategory_name
), final AS (
  SELECT
    category_name AS category,
    subcategory_name AS subcategory,
    orders,
    units,
    revenue
  FROM sales_by_subcategory
)
SELECT
  *
FROM final

-- model: rpt_web_sessions_live
/* One row per web session with a page view in the last 25 hours: what the dashboard's live panel */
/* reads (windows of up to 24 hours). A view, evaluated when read. Its filter sits on the event */
/* time itself, before any aggregation, so on BigQuery it reads only the last two days' */
/* partitions of raw.web_events; marts.fct_web_sessions (every session) reads them all. A session */
/* that began more than 25 hours ago shows only its recent page views. */
WITH events AS (
  SELECT
    *
  FROM staging.stg_web__events
), recent AS (
  SELECT
    session_id,
    country_name,
    device_type,
    event_at,
    order_value
  FROM events
  WHERE
    event_at >= (
      CURRENT_TIMESTAMP - INTERVAL '25' HOUR
    )
), final AS (
  SELECT
    session_id,
    MIN(country_name) AS country_name,
    MIN(device_type) AS device_type,
    MIN(event_at) AS started_at,
    MAX(event_at) AS ended_at,
    COUNT(*) AS page_views,
    COUNT_IF(order_value > 0) AS orders,
    SUM(order_value) AS order_value
  FROM recent
  GROUP BY
    session_id
)
SELECT
  *
FROM final

-- model: rpt_web_traffic
/* Question 5: web traffic by country, next to what the shop sold to that ship-to country. A view */
/* over the stream, so `report` shows events as soon as they are ingested. */
WITH events AS (
  SELECT
    *
  FROM staging.stg_web__events
), sales AS (
  SELECT
    *
  FROM marts.fct_sales
), addresses AS (
  SELECT
    *
  FROM marts.dim_address
), traffic AS (
  SELECT
    country_name,
    COUNT(*) AS visits,
    COUNT(DISTINCT session_id) AS sessions,
    COUNT_IF(order_value > 0) AS orders,
    COALESCE(SUM(order_value), 0) AS order_value
  FROM events
  GROUP BY
    country_name
), sales_by_country AS (
  SELECT
    addresses.country_name,
    COUNT(DISTINCT sales.sales_order_id) AS sales_orders,
    SUM(sales.line_total) AS sales_revenue
  FROM sales
  INNER JOIN addresses
    ON sales.ship_to_address_key = addresses.address_key
  GROUP BY
    addresses.country_name
), final AS (
  SELECT
    traffic.country_name AS country,
    traffic.visits,
    traffic.sessions,
    traffic.orders,
    traffic.order_value,
    CASE WHEN traffic.sessions <> 0 THEN traffic.orders / traffic.sessions ELSE NULL END AS conversion_rate,
    CASE
      WHEN traffic.visits <> 0
      THEN traffic.order_value / traffic.visits
      ELSE NULL
    END AS order_value_per_visit,
    COALESCE(sales_by_country.sales_orders, 0) AS sales_orders,
    COALESCE(sales_by_country.sales_revenue, 0) AS sales_revenue,
    CASE
      WHEN traffic.visits <> 0
      THEN sales_by_country.sales_revenue / traffic.visits
      ELSE NULL
    END AS revenue_per_visit
  FROM traffic
  LEFT JOIN sales_by_country
    ON traffic.country_name = sales_by_country.country_name
)
SELECT
  *
FROM final

-- model: rpt_web_traffic_live
/* The last 15 minutes of web traffic by country: the real-time view. A view, evaluated at query */
/* time, so it always covers the 15 minutes before the moment it is read. */
WITH events AS (
  SELECT
    *
  FROM staging.stg_web__events
), recent AS (
  SELECT
    country_name,
    session_id,
    order_value,
    event_at
  FROM events
  WHERE
    event_at >= (
      CURRENT_TIMESTAMP - INTERVAL '15' MINUTE
    )
), final AS (
  SELECT
    country_name AS country,
    COUNT(*) AS visits,
    COUNT(DISTINCT session_id) AS sessions,
    COUNT_IF(order_value > 0) AS orders,
    COALESCE(SUM(order_value), 0) AS order_value,
    CASE
      WHEN COUNT(DISTINCT session_id) <> 0
      THEN COUNT_IF(order_value > 0) / COUNT(DISTINCT session_id)
      ELSE NULL
    END AS conversion_rate,
    MIN(event_at) AS first_event_at,
    MAX(event_at) AS last_event_at
  FROM recent
  GROUP BY
    country_name
)
SELECT
  *
FROM final
