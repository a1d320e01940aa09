-- The calendar of the warehouse: one row per month from the first month with any order or
-- visit to the month of the as-of date (the as-of month is usually partial).

with

sales_bounds as (

    select min(order_date) as first_date
    from {{ ref('stg_sales_lake__sales') }}

),

visit_bounds as (

    select min(visit_date) as first_date
    from {{ ref('stg_sales_lake__visits') }}

),

bounds as (

    -- null when there is no activity at all: the series is then empty
    select
        least(
            coalesce(sales_bounds.first_date, visit_bounds.first_date),
            coalesce(visit_bounds.first_date, sales_bounds.first_date)
        ) as first_date,
        {{ as_of_date() }} as last_date

    from sales_bounds
    cross join visit_bounds

),

series as (

    {{ month_series('bounds.first_date', 'bounds.last_date', 'bounds') }}

),

final as (

    select
        month_start,
        cast(
            {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'month_start')) }} as date
        ) as month_end,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'month_start')) }} as date)
            <= {{ as_of_date() }} as is_complete_month

    from series

)

select * from final
