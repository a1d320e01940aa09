-- Visit compliance per customer and week (SPEC 7): one row per customer and week (Monday to
-- Sunday) of the last 12 months (weeks whose Monday is in the as-of month or the 11 before),
-- from the customer's first month of activity to the as-of week. The policy is the
-- visit_policy row of the customer's tier in the month of the week's Monday ('prospect' while
-- it never ordered). A week is compliant when the onsite visits of the policy window ending
-- that week (period_days rounded up to whole weeks: S and A this week, B these 2 weeks, C and
-- prospects these 4 weeks) reach onsite_visits_required. The current week is judged as of the
-- as-of date (is_complete_week false). 13 weeks before the 12 months are computed too, so the
-- first weeks' windows are complete (policy periods up to 91 days), then dropped.

{%- set as_of_month = "cast(" ~ dbt.date_trunc('month', as_of_date()) ~ " as date)" %}
{%- set start_12 = "cast(" ~ dbt.dateadd('month', -11, as_of_month) ~ " as date)" %}

with

weeks as (

    select * from {{ ref('int_visit_weeks') }}
    where week_start >= cast({{ dbt.dateadd('day', -91, start_12) }} as date)

),

customer_months as (

    select
        customer_id,
        month_start,
        region,
        maintainer_rep_id,
        tier,
        policy_tier

    from {{ ref('int_customer_lifecycle') }}

),

policy as (

    select
        tier,
        onsite_visits_required,
        period_days

    from {{ ref('visit_policy') }}

),

weekly_visits as (

    select
        customer_id,
        week_start,
        count(*) as onsite_visits

    from {{ ref('int_visits_located') }}
    where is_onsite
    group by customer_id, week_start

),

customer_weeks as (

    select
        customer_months.customer_id,
        weeks.week_start,
        weeks.week_end,
        weeks.month_start,
        weeks.is_complete_week,
        customer_months.region,
        customer_months.maintainer_rep_id,
        customer_months.tier,
        customer_months.policy_tier,
        policy.onsite_visits_required,
        policy.period_days,
        cast(ceiling(cast(policy.period_days as decimal(9, 2)) / 7) as {{ dbt.type_int() }})
            as window_weeks,
        coalesce(weekly_visits.onsite_visits, 0) as done_visits

    from customer_months
    inner join weeks
        on customer_months.month_start = weeks.month_start
    left join policy
        on customer_months.policy_tier = policy.tier
    left join weekly_visits
        on customer_months.customer_id = weekly_visits.customer_id
        and weeks.week_start = weekly_visits.week_start

),

cumulative as (

    select
        *,
        sum(done_visits) over (
            partition by customer_id
            order by week_start
            rows between unbounded preceding and current row
        ) as visits_to_date

    from customer_weeks

),

-- visits in the window = visits to date now - visits to date window_weeks weeks ago
windowed as (

    select
        cumulative.*,
        cumulative.visits_to_date - coalesce(window_start.visits_to_date, 0) as window_visits

    from cumulative
    left join cumulative as window_start
        on cumulative.customer_id = window_start.customer_id
        and window_start.week_start = cast(
            {{ dbt.dateadd('day', '-7 * cumulative.window_weeks', 'cumulative.week_start') }}
            as date
        )

),

final as (

    select
        -- keys
        customer_id,
        week_start,

        -- the week
        week_end,
        month_start,
        is_complete_week,

        -- the customer
        region,
        maintainer_rep_id,
        tier,
        policy_tier,

        -- required vs done
        cast(
            cast(onsite_visits_required as decimal(9, 4)) * 7 / nullif(period_days, 0)
            as decimal(9, 4)
        ) as required_visits,
        done_visits,
        onsite_visits_required as window_required_visits,
        window_weeks,
        window_visits,
        coalesce(window_visits >= onsite_visits_required, false) as is_compliant

    from windowed
    where month_start >= {{ start_12 }}

)

select * from final
