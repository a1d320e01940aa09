-- Every lake row of reps, typed, with the first rejection rule it fails (null = valid).
-- Column names stay the contract's so rejected rows can show them as they were loaded.

with

source as {{ not_materialized() }} (

    select * from {{ source('sales_lake', 'reps') }}

),

typed as {{ not_materialized() }} (

    select
        -- key
        nullif(trim(cast(rep_id as {{ dbt.type_string() }})), '') as rep_id,

        -- descriptive
        nullif(trim(cast(name as {{ dbt.type_string() }})), '') as name,
        nullif(trim(cast(region as {{ dbt.type_string() }})), '') as region,
        nullif(trim(cast(manager_rep_id as {{ dbt.type_string() }})), '') as manager_rep_id,
        lower(nullif(trim(cast(role as {{ dbt.type_string() }})), '')) as role,

        -- dates
        cast(hired_date as date) as hired_date,
        cast(left_date as date) as left_date,

        -- base and workday
        cast(base_latitude as double) as base_latitude,
        cast(base_longitude as double) as base_longitude,
        nullif(trim(cast(workday_start as {{ dbt.type_string() }})), '') as workday_start,
        nullif(trim(cast(workday_end as {{ dbt.type_string() }})), '') as workday_end,

        -- load
        {{ sales_lake_typed_load_columns() }}

    from source

),

-- Missing required columns; then per key (among complete rows) the latest load wins, then
-- the first row of that load.
{{ sales_lake_rank_by_key('reps', 'typed') }},

checked as (

    select
        *,
        case
            {{ sales_lake_key_rules() }}
            when role not in ('rep', 'manager')
                or {{ hhmm_is_invalid('workday_start') }}
                or {{ hhmm_is_invalid('workday_end') }}
                then 'invalid_value'
            when hired_date > {{ as_of_date() }} then 'date_in_future'
            when left_date < hired_date then 'ended_before_started'
            when base_latitude not between -90 and 90
                or base_longitude not between -180 and 180
                then 'coordinates_out_of_range'
        end as rejection_rule

    from ranked

)

select
    rep_id,
    name,
    region,
    manager_rep_id,
    role,
    hired_date,
    left_date,
    base_latitude,
    base_longitude,
    workday_start,
    workday_end,
    load_id,
    source_row,
    loaded_at,
    rejection_rule

from checked
