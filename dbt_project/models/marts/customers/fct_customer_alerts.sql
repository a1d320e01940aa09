-- Open customer alerts (SPEC 5), one row per customer and alert type, as the pages read it.
-- The rule lives in int_customer_alerts (with its unit tests), so that dim_customers and other
-- models build on it without reading a mart.

select * from {{ ref('int_customer_alerts') }}
