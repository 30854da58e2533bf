-- Golden file: the DuckDB SQL that compile_all("duckdb") produces for every model in sql/staging/.
-- tests/unit/test_golden.py fails when it changes. After an intended change regenerate it with
--     .venv/bin/pytest tests/unit/test_golden.py --update-goldens
-- and review the diff. Each model starts at a `-- model: <name>` line.

-- model: stg_person__addresses
WITH source AS (
  SELECT
    *
  FROM raw.person_address
  WHERE
    NOT COALESCE(_is_deleted, FALSE)
), final AS (
  SELECT
    CAST(addressid AS BIGINT) AS address_id,
    CAST(addressline1 AS TEXT) AS address_line_1,
    CAST(addressline2 AS TEXT) AS address_line_2,
    CAST(city AS TEXT) AS city,
    CAST(stateprovinceid AS BIGINT) AS state_province_id,
    CAST(postalcode AS TEXT) AS postal_code,
    CAST(modifieddate AS TIMESTAMP) AS modified_at
  FROM source
)
SELECT
  *
FROM final

-- model: stg_person__country_regions
/* char(n) columns keep the source's blank padding: trim it once, here. */
WITH source AS (
  SELECT
    *
  FROM raw.person_countryregion
  WHERE
    NOT COALESCE(_is_deleted, FALSE)
), final AS (
  SELECT
    TRIM(CAST(countryregioncode AS TEXT)) AS country_region_code,
    CAST(name AS TEXT) AS country_region_name,
    CAST(modifieddate AS TIMESTAMP) AS modified_at
  FROM source
)
SELECT
  *
FROM final

-- model: stg_person__persons
/* char(n) columns keep the source's blank padding: trim it once, here. */
WITH source AS (
  SELECT
    *
  FROM raw.person_person
  WHERE
    NOT COALESCE(_is_deleted, FALSE)
), final AS (
  SELECT
    CAST(businessentityid AS BIGINT) AS person_id,
    TRIM(CAST(persontype AS TEXT)) AS person_type,
    CAST(namestyle AS BOOLEAN) AS has_eastern_name_order,
    CAST(title AS TEXT) AS title,
    CAST(firstname AS TEXT) AS first_name,
    CAST(middlename AS TEXT) AS middle_name,
    CAST(lastname AS TEXT) AS last_name,
    CAST(suffix AS TEXT) AS suffix,
    CAST(emailpromotion AS BIGINT) AS email_promotion,
    CAST(modifieddate AS TIMESTAMP) AS modified_at
  FROM source
)
SELECT
  *
FROM final

-- model: stg_person__state_provinces
/* char(n) columns keep the source's blank padding: trim it once, here. */
WITH source AS (
  SELECT
    *
  FROM raw.person_stateprovince
  WHERE
    NOT COALESCE(_is_deleted, FALSE)
), final AS (
  SELECT
    CAST(stateprovinceid AS BIGINT) AS state_province_id,
    TRIM(CAST(stateprovincecode AS TEXT)) AS state_province_code,
    TRIM(CAST(countryregioncode AS TEXT)) AS country_region_code,
    CAST(isonlystateprovinceflag AS BOOLEAN) AS is_only_state_province,
    CAST(name AS TEXT) AS state_province_name,
    CAST(territoryid AS BIGINT) AS territory_id,
    CAST(modifieddate AS TIMESTAMP) AS modified_at
  FROM source
)
SELECT
  *
FROM final

-- model: stg_production__product_categories
WITH source AS (
  SELECT
    *
  FROM raw.production_productcategory
  WHERE
    NOT COALESCE(_is_deleted, FALSE)
), final AS (
  SELECT
    CAST(productcategoryid AS BIGINT) AS product_category_id,
    CAST(name AS TEXT) AS product_category_name,
    CAST(modifieddate AS TIMESTAMP) AS modified_at
  FROM source
)
SELECT
  *
FROM final

-- model: stg_production__product_subcategories
WITH source AS (
  SELECT
    *
  FROM raw.production_productsubcategory
  WHERE
    NOT COALESCE(_is_deleted, FALSE)
), final AS (
  SELECT
    CAST(productsubcategoryid AS BIGINT) AS product_subcategory_id,
    CAST(productcategoryid AS BIGINT) AS product_category_id,
    CAST(name AS TEXT) AS product_subcategory_name,
    CAST(modifieddate AS TIMESTAMP) AS modified_at
  FROM source
)
SELECT
  *
FROM final

-- model: stg_production__products
/* char(n) columns keep the source's blank padding: trim it once, here. */
WITH source AS (
  SELECT
    *
  FROM raw.production_product
  WHERE
    NOT COALESCE(_is_deleted, FALSE)
), final AS (
  SELECT
    CAST(productid AS BIGINT) AS product_id,
    CAST(name AS TEXT) AS product_name,
    CAST(productnumber AS TEXT) AS product_number,
    CAST(makeflag AS BOOLEAN) AS is_made_in_house,
    CAST(finishedgoodsflag AS BOOLEAN) AS is_finished_good,
    CAST(color AS TEXT) AS color,
    CAST(safetystocklevel AS BIGINT) AS safety_stock_level,
    CAST(reorderpoint AS BIGINT) AS reorder_point,
    CAST(standardcost AS DECIMAL(38, 9)) AS standard_cost,
    CAST(listprice AS DECIMAL(38, 9)) AS list_price,
    CAST(size AS TEXT) AS size,
    TRIM(CAST(sizeunitmeasurecode AS TEXT)) AS size_unit_measure_code,
    TRIM(CAST(weightunitmeasurecode AS TEXT)) AS weight_unit_measure_code,
    CAST(weight AS DECIMAL(38, 9)) AS weight,
    CAST(daystomanufacture AS BIGINT) AS days_to_manufacture,
    TRIM(CAST(productline AS TEXT)) AS product_line,
    TRIM(CAST(class AS TEXT)) AS product_class,
    TRIM(CAST(style AS TEXT)) AS product_style,
    CAST(productsubcategoryid AS BIGINT) AS product_subcategory_id,
    CAST(productmodelid AS BIGINT) AS product_model_id,
    CAST(sellstartdate AS TIMESTAMP) AS sell_started_at,
    CAST(sellenddate AS TIMESTAMP) AS sell_ended_at,
    CAST(discontinueddate AS TIMESTAMP) AS discontinued_at,
    CAST(modifieddate AS TIMESTAMP) AS modified_at
  FROM source
)
SELECT
  *
FROM final

-- model: stg_sales__credit_cards
/* Only the last four digits of a card number leave the source (PCI). */
WITH source AS (
  SELECT
    *
  FROM raw.sales_creditcard
  WHERE
    NOT COALESCE(_is_deleted, FALSE)
), final AS (
  SELECT
    CAST(creditcardid AS BIGINT) AS credit_card_id,
    CAST(cardtype AS TEXT) AS card_type,
    RIGHT(CAST(cardnumber AS TEXT), 4) AS card_number_last_4,
    CAST(expmonth AS BIGINT) AS expiry_month,
    CAST(expyear AS BIGINT) AS expiry_year,
    CAST(modifieddate AS TIMESTAMP) AS modified_at
  FROM source
)
SELECT
  *
FROM final

-- model: stg_sales__customers
WITH source AS (
  SELECT
    *
  FROM raw.sales_customer
  WHERE
    NOT COALESCE(_is_deleted, FALSE)
), final AS (
  SELECT
    CAST(customerid AS BIGINT) AS customer_id,
    CAST(personid AS BIGINT) AS person_id,
    CAST(storeid AS BIGINT) AS store_id,
    CAST(territoryid AS BIGINT) AS territory_id,
    CAST(modifieddate AS TIMESTAMP) AS modified_at
  FROM source
)
SELECT
  *
FROM final

-- model: stg_sales__order_details
WITH source AS (
  SELECT
    *
  FROM raw.sales_salesorderdetail
  WHERE
    NOT COALESCE(_is_deleted, FALSE)
), final AS (
  SELECT
    CAST(salesorderid AS BIGINT) AS sales_order_id,
    CAST(salesorderdetailid AS BIGINT) AS sales_order_detail_id,
    CAST(carriertrackingnumber AS TEXT) AS carrier_tracking_number,
    CAST(orderqty AS BIGINT) AS order_quantity,
    CAST(productid AS BIGINT) AS product_id,
    CAST(specialofferid AS BIGINT) AS special_offer_id,
    CAST(unitprice AS DECIMAL(38, 9)) AS unit_price,
    CAST(unitpricediscount AS DECIMAL(38, 9)) AS unit_price_discount,
    CAST(modifieddate AS TIMESTAMP) AS modified_at
  FROM source
)
SELECT
  *
FROM final

-- model: stg_sales__order_headers
WITH source AS (
  SELECT
    *
  FROM raw.sales_salesorderheader
  WHERE
    NOT COALESCE(_is_deleted, FALSE)
), final AS (
  SELECT
    CAST(salesorderid AS BIGINT) AS sales_order_id,
    CAST(revisionnumber AS BIGINT) AS revision_number,
    CAST(orderdate AS TIMESTAMP) AS ordered_at,
    CAST(orderdate AS DATE) AS order_date,
    CAST(duedate AS TIMESTAMP) AS due_at,
    CAST(duedate AS DATE) AS due_date,
    CAST(shipdate AS TIMESTAMP) AS shipped_at,
    CAST(shipdate AS DATE) AS ship_date,
    CAST(status AS BIGINT) AS status_code,
    CAST(onlineorderflag AS BOOLEAN) AS is_online_order,
    CAST(purchaseordernumber AS TEXT) AS purchase_order_number,
    CAST(accountnumber AS TEXT) AS account_number,
    CAST(customerid AS BIGINT) AS customer_id,
    CAST(salespersonid AS BIGINT) AS sales_person_id,
    CAST(territoryid AS BIGINT) AS territory_id,
    CAST(billtoaddressid AS BIGINT) AS bill_to_address_id,
    CAST(shiptoaddressid AS BIGINT) AS ship_to_address_id,
    CAST(shipmethodid AS BIGINT) AS ship_method_id,
    CAST(creditcardid AS BIGINT) AS credit_card_id,
    CAST(creditcardapprovalcode AS TEXT) AS credit_card_approval_code,
    CAST(currencyrateid AS BIGINT) AS currency_rate_id,
    CAST(subtotal AS DECIMAL(38, 9)) AS subtotal,
    CAST(taxamt AS DECIMAL(38, 9)) AS tax_amount,
    CAST(freight AS DECIMAL(38, 9)) AS freight,
    CAST(totaldue AS DECIMAL(38, 9)) AS total_due,
    CAST(comment AS TEXT) AS order_comment,
    CAST(modifieddate AS TIMESTAMP) AS modified_at
  FROM source
)
SELECT
  *
FROM final

-- model: stg_sales__stores
/* char(n) columns keep the source's blank padding: trim it once, here. */
WITH source AS (
  SELECT
    *
  FROM raw.sales_store
  WHERE
    NOT COALESCE(_is_deleted, FALSE)
), final AS (
  SELECT
    CAST(businessentityid AS BIGINT) AS store_id,
    TRIM(CAST(name AS TEXT)) AS store_name,
    CAST(salespersonid AS BIGINT) AS sales_person_id,
    CAST(modifieddate AS TIMESTAMP) AS modified_at
  FROM source
)
SELECT
  *
FROM final

-- model: stg_web__events
WITH source AS (
  SELECT
    *
  FROM raw.web_events
), final AS (
  SELECT
    CAST(event_id AS TEXT) AS event_id,
    "timestamp" AS event_at, /* as stored (a TIMESTAMP; raw.web_events is partitioned by it on BigQuery): a filter */ /* on event_at is then one on the partitioning column itself, so BigQuery skips days */
    CAST(session_id AS TEXT) AS session_id,
    CAST(user_id AS TEXT) AS user_id,
    TRY_CAST(user_id AS BIGINT) AS customer_id,
    CAST(page_url AS TEXT) AS page_url,
    CAST(referrer_url AS TEXT) AS referrer_url,
    CAST(ip_address AS TEXT) AS ip_address,
    CAST(user_agent AS TEXT) AS user_agent,
    CAST(device_type AS TEXT) AS device_type,
    CAST(duration AS DOUBLE) AS duration_seconds,
    CAST(country AS TEXT) AS country_name,
    CAST(ROUND(order_value, 2) AS DECIMAL(38, 9)) AS order_value,
    CAST(_ingested_at AS TIMESTAMPTZ) AS ingested_at
  FROM source
)
SELECT
  *
FROM final
