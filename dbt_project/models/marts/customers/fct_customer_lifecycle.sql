-- Customer lifecycle (SPEC 5), one row per customer and month of the spine, as the pages read it.
-- The rule lives in int_customer_lifecycle (with its unit tests), so that dim_customers and other
-- models build on it without reading a mart.

select * from {{ ref('int_customer_lifecycle') }}
