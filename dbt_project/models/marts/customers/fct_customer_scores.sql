-- Customer evaluation, priority and potential (SPEC 6), one row per customer, as the pages read it.
-- The rule lives in int_customer_scores (with its unit tests), so that dim_customers and other
-- models build on it without reading a mart.

select * from {{ ref('int_customer_scores') }}
