-- The week calendar of the visit marts: one row per week (Monday to Sunday, as dbt's
-- date_trunc('week') gives on DuckDB and Spark) whose Monday falls in a month of int_months,
-- up to the week of the as-of date. A week belongs to the month of its Monday.

with

months as (

    select month_start from {{ ref('int_months') }}

),

-- a month holds at most 5 Mondays; offsets 0..5 from the Monday on or before the 1st
offsets as (

    select 0 as week_offset
    union all select 1
    union all select 2
    union all select 3
    union all select 4
    union all select 5

),

candidates as (

    select
        months.month_start,
        cast(
            {{ dbt.dateadd(
                'day',
                '7 * offsets.week_offset',
                dbt.date_trunc('week', 'months.month_start')
            ) }}
            as date
        ) as week_start

    from months
    cross join offsets

),

final as (

    select
        week_start,
        cast({{ dbt.dateadd('day', 6, 'week_start') }} as date) as week_end,
        month_start,
        cast({{ dbt.dateadd('day', 6, 'week_start') }} as date)
            <= {{ as_of_date() }} as is_complete_week

    from candidates
    where
        cast({{ dbt.date_trunc('month', 'week_start') }} as date) = month_start
        and week_start <= {{ as_of_date() }}

)

select * from final
