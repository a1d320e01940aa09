-- Every lake row of sales (order lines), typed, with the first rejection rule it fails
-- (null = valid). Column names stay the contract's so rejected rows can show them as loaded.
-- Incremental by order month on DuckDB (macros/build/changed_months.sql).

{%- set order_month = month_of('order_date') %}

{{ config(
    materialized=by_month_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed_months(month_of('order_date')) }}"
) }}

with

source as {{ not_materialized() }} (

    select * from {{ source('sales_lake', 'sales') }}

),

typed as {{ not_materialized() }} (

    select
        -- key
        nullif(trim(cast(order_id as {{ dbt.type_string() }})), '') as order_id,
        cast(line_number as {{ dbt.type_bigint() }}) as line_number,

        -- order
        cast(order_date as date) as order_date,
        nullif(trim(cast(customer_id as {{ dbt.type_string() }})), '') as customer_id,
        nullif(trim(cast(sku as {{ dbt.type_string() }})), '') as sku,
        nullif(trim(cast(rep_id as {{ dbt.type_string() }})), '') as rep_id,

        -- amounts
        cast(quantity as decimal(18, 3)) as quantity,
        cast(unit_price as decimal(18, 4)) as unit_price,
        cast(discount_rate as decimal(9, 6)) as discount_rate,
        cast(line_amount as decimal(18, 2)) as line_amount,

        -- state (ingest leaves cancelled lines out: the lake holds active or empty)
        nullif(trim(cast(status as {{ dbt.type_string() }})), '') as status,

        -- load
        {{ sales_lake_typed_load_columns() }}

    from source

),

-- The rows of the months this build recomputes, with every other row of their keys.
{{ changed_months_scope('typed', sales_lake_key('sales'), order_month, 'scoped') }},

-- Missing required columns; then per key (among complete rows) the latest load wins, then
-- the first row of that load.
{{ sales_lake_rank_by_key('sales', 'scoped') }},

-- The only joins in staging: a reference must point at a valid (staged) parent row.
known_customers as (

    select customer_id from {{ ref('stg_sales_lake__customers') }}

),

known_products as (

    select sku from {{ ref('stg_sales_lake__products') }}

),

known_reps as (

    select rep_id from {{ ref('stg_sales_lake__reps') }}

),

checked as (

    select
        ranked.*,
        case
            {{ sales_lake_key_rules('ranked.') }}
            when ranked.unit_price < 0 then 'negative_price'
            when ranked.discount_rate not between 0 and 1 then 'invalid_value'
            when ranked.order_date > {{ as_of_date() }} then 'date_in_future'
            when known_customers.customer_id is null then 'unknown_customer'
            when known_products.sku is null then 'unknown_sku'
            when ranked.rep_id is not null and known_reps.rep_id is null then 'unknown_rep'
        end as rejection_rule

    from ranked
    left join known_customers
        on ranked.customer_id = known_customers.customer_id
    left join known_products
        on ranked.sku = known_products.sku
    left join known_reps
        on ranked.rep_id = known_reps.rep_id

)

select
    order_id,
    line_number,
    order_date,
    customer_id,
    sku,
    quantity,
    unit_price,
    discount_rate,
    rep_id,
    line_amount,
    status,
    load_id,
    source_row,
    loaded_at,
    rejection_rule

from checked
where {{ in_changed_months(order_month) }}
