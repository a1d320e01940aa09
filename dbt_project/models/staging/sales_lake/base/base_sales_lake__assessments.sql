-- Every lake row of assessments (optional entity), typed, with the first rejection rule it
-- fails (null = valid). Column names stay the contract's so rejected rows can show them.

with

source as {{ not_materialized() }} (

    select * from {{ source('sales_lake', 'assessments') }}

),

typed as {{ not_materialized() }} (

    select
        -- key
        nullif(trim(cast(customer_id as {{ dbt.type_string() }})), '') as customer_id,
        lower(nullif(trim(cast(criterion as {{ dbt.type_string() }})), '')) as criterion,
        cast(assessed_date as date) as assessed_date,

        -- judgement
        cast(score as decimal(9, 2)) as score,
        nullif(trim(cast(assessor as {{ dbt.type_string() }})), '') as assessor,

        -- load
        {{ sales_lake_typed_load_columns() }}

    from source

),

-- Missing required columns; then per key (among complete rows) the latest load wins, then
-- the first row of that load.
{{ sales_lake_rank_by_key('assessments', 'typed') }},

-- The only join in staging: a customer reference must point at a valid (staged) customer.
known_customers as (

    select customer_id from {{ ref('stg_sales_lake__customers') }}

),

checked as (

    select
        ranked.*,
        case
            {{ sales_lake_key_rules('ranked.') }}
            when ranked.assessed_date > {{ as_of_date() }} then 'date_in_future'
            when known_customers.customer_id is null then 'unknown_customer'
        end as rejection_rule

    from ranked
    left join known_customers
        on ranked.customer_id = known_customers.customer_id

)

select
    customer_id,
    criterion,
    score,
    assessed_date,
    assessor,
    load_id,
    source_row,
    loaded_at,
    rejection_rule

from checked
