-- The customer-month spine (int_customer_months) with what the lifecycle and scoring rules
-- need as of each month: first and last order dates, the median gap between order days, the
-- last onsite visit and last complaint, and trailing 3-month revenue against the 3 months
-- before. "As of" a month means as of its reference date: the month's last day, or the as-of
-- date in the as-of month. Reads the small tables only (order days, located visits).

with

customer_months as (

    select
        customer_id,
        month_start,
        region,
        channel,
        maintainer_rep_id,
        is_key_account,
        revenue,
        gross_profit,
        return_revenue,
        order_count,
        has_order,
        onsite_visits,
        phone_visits,
        visit_minutes,
        complaint_visits

    from {{ ref('int_customer_months') }}

),

months as (

    select
        month_start,
        month_end

    from {{ ref('int_months') }}

),

-- per customer-month with orders: first and last order day, and the order-day count and
-- median gap as of the last order day of the month
order_months as (

    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as month_start,
        min(order_date) as first_order_date_in_month,
        max(order_date) as last_order_date_in_month,
        max(order_day_number) as order_days_to_month_end,
        max_by(median_order_gap_days, order_date) as median_order_gap_days_at_month_end

    from {{ ref('int_customer_order_days') }}
    group by customer_id, {{ dbt.date_trunc('month', 'order_date') }}

),

visit_months as (

    select
        customer_id,
        month_start,
        max(visit_date) as last_visit_date_in_month,
        max(case when is_onsite then visit_date end) as last_onsite_visit_date_in_month,
        max(case when outcome = 'complaint' then visit_date end)
            as last_complaint_date_in_month

    from {{ ref('int_visits_located') }}
    group by customer_id, month_start

),

joined as (

    select
        customer_months.*,
        least(months.month_end, {{ as_of_date() }}) as reference_date,
        order_months.first_order_date_in_month,
        order_months.last_order_date_in_month,
        visit_months.last_visit_date_in_month,
        visit_months.last_onsite_visit_date_in_month,
        visit_months.last_complaint_date_in_month

    from customer_months
    inner join months
        on customer_months.month_start = months.month_start
    left join order_months
        on customer_months.customer_id = order_months.customer_id
        and customer_months.month_start = order_months.month_start
    left join visit_months
        on customer_months.customer_id = visit_months.customer_id
        and customer_months.month_start = visit_months.month_start

),

running as (

    select
        customer_id,
        month_start,
        reference_date,
        region,
        channel,
        maintainer_rep_id,
        is_key_account,
        revenue,
        gross_profit,
        return_revenue,
        order_count,
        has_order,
        onsite_visits,
        phone_visits,
        visit_minutes,
        complaint_visits,
        min(month_start) over (partition by customer_id) as first_activity_month,
        min(first_order_date_in_month) over (
            partition by customer_id order by month_start
            rows between unbounded preceding and current row
        ) as first_order_date,
        max(last_order_date_in_month) over (
            partition by customer_id order by month_start
            rows between unbounded preceding and current row
        ) as last_order_date,
        max(case when last_order_date_in_month is not null then month_start end) over (
            partition by customer_id order by month_start
            rows between unbounded preceding and current row
        ) as last_order_month,
        max(last_visit_date_in_month) over (
            partition by customer_id order by month_start
            rows between unbounded preceding and current row
        ) as last_visit_date,
        max(last_onsite_visit_date_in_month) over (
            partition by customer_id order by month_start
            rows between unbounded preceding and current row
        ) as last_onsite_visit_date,
        max(last_complaint_date_in_month) over (
            partition by customer_id order by month_start
            rows between unbounded preceding and current row
        ) as last_complaint_date,
        -- the spine has every month from the customer's first, so rows are months
        sum(revenue) over (
            partition by customer_id order by month_start
            rows between 2 preceding and current row
        ) as trailing_3_revenue,
        coalesce(
            sum(revenue) over (
                partition by customer_id order by month_start
                rows between 5 preceding and 3 preceding
            ),
            0
        ) as previous_3_revenue

    from joined

),

final as (

    select
        -- keys
        running.customer_id,
        running.month_start,
        running.reference_date,

        -- current customer attributes
        running.region,
        running.channel,
        running.maintainer_rep_id,
        running.is_key_account,

        -- the month
        running.revenue,
        running.gross_profit,
        running.return_revenue,
        running.order_count,
        running.has_order,
        running.onsite_visits,
        running.phone_visits,
        running.visit_minutes,
        running.complaint_visits,

        -- orders as of the month
        running.first_activity_month,
        running.first_order_date,
        running.last_order_date,
        coalesce(last_order_month.order_days_to_month_end, 0) as order_days_to_date,
        last_order_month.median_order_gap_days_at_month_end as median_order_gap_days,

        -- trailing 3 months (this and the 2 before) vs the 3 before them
        cast(running.trailing_3_revenue as decimal(18, 2)) as trailing_3_revenue,
        cast(running.previous_3_revenue as decimal(18, 2)) as previous_3_revenue,
        case
            when running.previous_3_revenue > 0
                then cast(
                    cast(running.trailing_3_revenue as double)
                    / cast(running.previous_3_revenue as double) - 1
                    as decimal(18, 4)
                )
        end as trailing_3_growth,

        -- visits as of the month
        running.last_visit_date,
        running.last_onsite_visit_date,
        running.last_complaint_date

    from running
    -- the month of the last order holds the order-day count and median gap as of then
    left join order_months as last_order_month
        on running.customer_id = last_order_month.customer_id
        and running.last_order_month = last_order_month.month_start

)

select * from final
