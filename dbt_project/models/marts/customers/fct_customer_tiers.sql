-- Customer tiers (SPEC 3), one row per customer and month, as the pages read it.
-- The rule lives in int_customer_tiers (with its unit tests), so that dim_customers and other
-- models build on it without reading a mart.

select * from {{ ref('int_customer_tiers') }}
