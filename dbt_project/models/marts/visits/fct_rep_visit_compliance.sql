-- Visit compliance per rep and month (SPEC 7): over the customers the rep maintains (now),
-- the onsite visits their policies require in the month against those done (by anyone), the
-- share of customer-weeks that met the policy, and the customers overdue at the month's last
-- complete week (in the as-of month: the last complete week, or the as-of week when no week of
-- the month is complete yet).

with

customer_weeks as (

    select * from {{ ref('int_visit_compliance') }}

),

reps as (

    select
        rep_id,
        rep_name,
        region,
        left_date

    from {{ ref('stg_sales_lake__reps') }}

),

-- the week each month is judged on: its last complete week, or the as-of week when none of
-- the month's weeks is complete yet
judged_weeks as (

    select
        month_start,
        coalesce(
            max(case when is_complete_week then week_start end),
            max(week_start)
        ) as week_start

    from {{ ref('int_visit_weeks') }}
    group by month_start

),

month_end_status as (

    select
        customer_weeks.maintainer_rep_id,
        customer_weeks.month_start,
        count(*) as customers,
        sum(case when customer_weeks.is_compliant then 0 else 1 end) as overdue_customers

    from customer_weeks
    inner join judged_weeks
        on customer_weeks.month_start = judged_weeks.month_start
        and customer_weeks.week_start = judged_weeks.week_start
    group by customer_weeks.maintainer_rep_id, customer_weeks.month_start

),

monthly as (

    select
        maintainer_rep_id,
        month_start,
        count(*) as customer_weeks,
        sum(case when is_compliant then 1 else 0 end) as compliant_customer_weeks,
        sum(required_visits) as required_visits,
        sum(done_visits) as done_visits,
        sum(case when tier in ('S', 'A') then required_visits else 0 end)
            as must_visit_required_visits,
        sum(case when tier in ('S', 'A') then done_visits else 0 end) as must_visit_done_visits

    from customer_weeks
    group by maintainer_rep_id, month_start

),

final as (

    select
        -- keys
        monthly.maintainer_rep_id as rep_id,
        monthly.month_start,

        -- the rep
        reps.rep_name,
        reps.region,
        reps.left_date is not null as has_left,

        -- required vs done
        month_end_status.customers,
        cast(monthly.required_visits as decimal(18, 2)) as required_visits,
        monthly.done_visits,
        cast(
            cast(monthly.done_visits as double) / cast(nullif(monthly.required_visits, 0) as double)
            as decimal(9, 4)
        ) as fulfilment_rate,
        cast(monthly.must_visit_required_visits as decimal(18, 2))
            as must_visit_required_visits,
        monthly.must_visit_done_visits,

        -- coverage
        monthly.customer_weeks,
        monthly.compliant_customer_weeks,
        cast(
            cast(monthly.compliant_customer_weeks as double)
            / cast(nullif(monthly.customer_weeks, 0) as double)
            as decimal(9, 4)
        ) as compliant_week_share,
        month_end_status.overdue_customers,
        cast(
            cast(month_end_status.customers - month_end_status.overdue_customers as double)
            / cast(nullif(month_end_status.customers, 0) as double)
            as decimal(9, 4)
        ) as coverage_rate

    from monthly
    inner join month_end_status
        on monthly.maintainer_rep_id = month_end_status.maintainer_rep_id
        and monthly.month_start = month_end_status.month_start
    left join reps
        on monthly.maintainer_rep_id = reps.rep_id

)

select * from final
