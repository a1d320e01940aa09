-- Valid visits (one row per visit_id), with the visit date and duration.

-- Incremental by visit month on DuckDB (macros/build/changed_months.sql).

{{ config(
    materialized=by_month_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed_months(month_of('started_at')) }}"
) }}

with

checked as (

    select * from {{ ref('base_sales_lake__visits') }}
    where rejection_rule is null
        and {{ in_changed_months(month_of('started_at')) }}

),

renamed as (

    select
        -- ids
        visit_id,
        rep_id,
        customer_id,

        -- when
        started_at,
        ended_at,
        cast(started_at as date) as visit_date,
        cast(
            floor({{ dbt.datediff('started_at', 'ended_at', 'second') }} / 60)
            as {{ dbt.type_int() }}
        ) as duration_min,

        -- what
        visit_type,
        purpose,
        outcome,
        cast(relationship_level as {{ dbt.type_int() }}) as relationship_level,

        -- where
        checkin_latitude,
        checkin_longitude,

        -- notes
        notes,
        next_step,
        follow_up_date,

        -- record (entered in the app: who and when)
        recorded_by,
        recorded_at,

        -- load
        load_id,
        source_row,
        loaded_at

    from checked

)

select * from renamed
