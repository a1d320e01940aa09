-- Every lake row of quotas (optional entity), typed, with the first rejection rule it fails
-- (null = valid). Column names stay the contract's so rejected rows can show them as loaded.

with

source as {{ not_materialized() }} (

    select * from {{ source('sales_lake', 'quotas') }}

),

typed as {{ not_materialized() }} (

    select
        -- key
        nullif(trim(cast(rep_id as {{ dbt.type_string() }})), '') as rep_id,
        -- month: first day (the contract's month type)
        cast({{ dbt.date_trunc('month', 'month') }} as date) as month,

        -- amount
        cast(sales_quota as decimal(18, 2)) as sales_quota,

        -- load
        {{ sales_lake_typed_load_columns() }}

    from source

),

-- Missing required columns; then per key (among complete rows) the latest load wins, then
-- the first row of that load.
{{ sales_lake_rank_by_key('quotas', 'typed') }},

-- The only join in staging: a rep reference must point at a valid (staged) rep.
known_reps as (

    select rep_id from {{ ref('stg_sales_lake__reps') }}

),

checked as (

    select
        ranked.*,
        case
            {{ sales_lake_key_rules('ranked.') }}
            when ranked.sales_quota < 0 then 'negative_price'
            when known_reps.rep_id is null then 'unknown_rep'
        end as rejection_rule

    from ranked
    left join known_reps
        on ranked.rep_id = known_reps.rep_id

)

select
    rep_id,
    month,
    sales_quota,
    load_id,
    source_row,
    loaded_at,
    rejection_rule

from checked
