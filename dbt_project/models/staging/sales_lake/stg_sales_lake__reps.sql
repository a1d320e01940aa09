-- Valid reps (one row per rep_id), with business names and defaults.

{%- set workday_start = "coalesce(workday_start, '" ~ var('default_workday_start') ~ "')" %}
{%- set workday_end = "coalesce(workday_end, '" ~ var('default_workday_end') ~ "')" %}

with

checked as (

    select * from {{ ref('base_sales_lake__reps') }}
    where rejection_rule is null

),

renamed as (

    select
        -- ids
        rep_id,
        manager_rep_id,

        -- descriptive
        name as rep_name,
        region,
        coalesce(role, 'rep') as role,

        -- dates
        hired_date,
        left_date,

        -- base and workday (defaults are vars; minutes after midnight for route planning)
        base_latitude,
        base_longitude,
        {{ workday_start }} as workday_start,
        {{ workday_end }} as workday_end,
        {{ hhmm_to_minutes(workday_start) }} as workday_start_min,
        {{ hhmm_to_minutes(workday_end) }} as workday_end_min,

        -- load
        load_id,
        source_row,
        loaded_at

    from checked

)

select * from renamed
