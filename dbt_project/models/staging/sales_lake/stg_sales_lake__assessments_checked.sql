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
        cast(_load_id as {{ dbt.type_string() }}) as load_id,
        cast(_source_row as {{ dbt.type_bigint() }}) as source_row,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at

    from source

),

flagged as {{ not_materialized() }} (

    select
        *,
        {{ sales_lake_missing_required('assessments') }} as is_missing_required

    from typed

),

-- Per key (among rows with every required column): the latest load wins, then the first row.
{{ sales_lake_rank_by_key('assessments', 'flagged') }},

-- The only join in staging: a customer reference must point at a valid (staged) customer.
known_customers as (

    select customer_id from {{ ref('stg_sales_lake__customers') }}

),

checked as (

    select
        ranked.*,
        case
            when ranked.is_missing_required then 'missing_required'
            when ranked.key_rank > 1 and ranked.load_id = ranked.kept_load_id then 'duplicate_key'
            when ranked.key_rank > 1 then 'superseded_by_later_load'
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
