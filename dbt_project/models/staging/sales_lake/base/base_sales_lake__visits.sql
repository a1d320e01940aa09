-- Every lake row of visits, typed, with the first rejection rule it fails (null = valid).
-- Column names stay the contract's so rejected rows can show them as they were loaded.

-- Incremental by visit month on DuckDB (macros/build/changed_months.sql).

{%- set visit_month = month_of('started_at') %}

{{ config(
    materialized=by_month_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed_months(month_of('started_at')) }}"
) }}

with

source as {{ not_materialized() }} (

    select * from {{ source('sales_lake', 'visits') }}

),

typed as {{ not_materialized() }} (

    select
        -- key
        nullif(trim(cast(visit_id as {{ dbt.type_string() }})), '') as visit_id,

        -- who
        nullif(trim(cast(rep_id as {{ dbt.type_string() }})), '') as rep_id,
        nullif(trim(cast(customer_id as {{ dbt.type_string() }})), '') as customer_id,

        -- when
        cast(started_at as {{ dbt.type_timestamp() }}) as started_at,
        cast(ended_at as {{ dbt.type_timestamp() }}) as ended_at,

        -- what
        lower(nullif(trim(cast(visit_type as {{ dbt.type_string() }})), '')) as visit_type,
        lower(nullif(trim(cast(purpose as {{ dbt.type_string() }})), '')) as purpose,
        lower(nullif(trim(cast(outcome as {{ dbt.type_string() }})), '')) as outcome,
        cast(relationship_level as {{ dbt.type_bigint() }}) as relationship_level,

        -- where
        cast(checkin_latitude as double) as checkin_latitude,
        cast(checkin_longitude as double) as checkin_longitude,

        -- notes
        nullif(trim(cast(notes as {{ dbt.type_string() }})), '') as notes,
        nullif(trim(cast(next_step as {{ dbt.type_string() }})), '') as next_step,
        cast(follow_up_date as date) as follow_up_date,

        -- record (who entered it in the app, and when)
        nullif(trim(cast(recorded_by as {{ dbt.type_string() }})), '') as recorded_by,
        cast(recorded_at as {{ dbt.type_timestamp() }}) as recorded_at,

        -- load
        {{ sales_lake_typed_load_columns() }}

    from source

),

-- Missing required columns; then per key (among complete rows) the latest load wins, then
-- the first row of that load.
-- The rows of the months this build recomputes, with every other row of their keys.
{{ changed_months_scope('typed', sales_lake_key('visits'), visit_month, 'scoped') }},

{{ sales_lake_rank_by_key('visits', 'scoped') }},

-- The only joins in staging: a reference must point at a valid (staged) parent row.
known_customers as (

    select customer_id from {{ ref('stg_sales_lake__customers') }}

),

known_reps as (

    select rep_id from {{ ref('stg_sales_lake__reps') }}

),

checked as (

    select
        ranked.*,
        case
            {{ sales_lake_key_rules('ranked.') }}
            when ranked.visit_type not in ('onsite', 'phone')
                or ranked.purpose not in ('develop', 'maintain', 'collect', 'deliver', 'promote')
                or ranked.outcome not in ('order', 'no_order', 'complaint', 'closed', 'not_met')
                or ranked.relationship_level not between 1 and 5
                then 'invalid_value'
            when cast(ranked.started_at as date) > {{ as_of_date() }} then 'date_in_future'
            when ranked.ended_at < ranked.started_at then 'ended_before_started'
            when ranked.checkin_latitude not between -90 and 90
                or ranked.checkin_longitude not between -180 and 180
                then 'coordinates_out_of_range'
            when known_customers.customer_id is null then 'unknown_customer'
            when known_reps.rep_id is null then 'unknown_rep'
        end as rejection_rule

    from ranked
    left join known_customers
        on ranked.customer_id = known_customers.customer_id
    left join known_reps
        on ranked.rep_id = known_reps.rep_id

)

select
    visit_id,
    rep_id,
    customer_id,
    started_at,
    ended_at,
    visit_type,
    purpose,
    outcome,
    relationship_level,
    checkin_latitude,
    checkin_longitude,
    notes,
    next_step,
    follow_up_date,
    recorded_by,
    recorded_at,
    load_id,
    source_row,
    loaded_at,
    rejection_rule

from checked
where {{ in_changed_months(visit_month) }}
