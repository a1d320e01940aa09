-- One row per customer and day with an order: a day with at least one order line of positive
-- quantity (a day of returns only is not an order, as in int_customer_months.has_order),
-- with the gap since the previous order day and the median of the customer's last
-- `order_gap_window` gaps up to that day - its recent buying rhythm, read at each month's last
-- order day by int_customer_activity_months for the long-time-no-purchase alert.
-- Kept narrow on purpose: one pass over the order lines (15 million at scale 10), and a
-- bounded median frame (a growing frame costs several times more on DuckDB).

{%- set gap_window = var('order_gap_window') | int %}
{%- if gap_window < 1 %}
    {{ exceptions.raise_compiler_error("var order_gap_window must be at least 1") }}
{%- endif %}

with

order_days as (

    select
        customer_id,
        order_date

    from {{ ref('stg_sales_lake__sales') }}
    where quantity > 0
    group by customer_id, order_date

),

gaps as (

    select
        customer_id,
        order_date,
        lag(order_date) over (partition by customer_id order by order_date)
            as previous_order_date,
        row_number() over (partition by customer_id order by order_date) as order_day_number

    from order_days

),

with_gap_days as (

    select
        *,
        cast(
            {{ dbt.datediff('previous_order_date', 'order_date', 'day') }}
            as {{ dbt.type_int() }}
        ) as order_gap_days

    from gaps

),

final as (

    select
        -- keys
        customer_id,
        order_date,

        -- history up to this day
        order_day_number,
        cast(previous_order_date as date) as previous_order_date,
        order_gap_days,
        cast(
            {{ quantile_cont('order_gap_days', 0.5) }} over (
                partition by customer_id
                order by order_date
                rows between {{ gap_window - 1 }} preceding and current row
            )
            as decimal(9, 1)
        ) as median_order_gap_days

    from with_gap_days

)

select * from final
