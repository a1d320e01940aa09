-- Customer lifecycle (SPEC 5): one row per customer and month of the spine, the lifecycle
-- stage as of the month's reference date (month end, or the as-of date in the as-of month) and
-- the alert flags. Stage precedence, first match wins:
--   prospect  never ordered up to the reference date (only visited)
--   churned   no order for churn_days (90) or more
--   declining no order for decline_days (45) or more, or trailing-3 growth <= -growth_threshold
--   new       first order in this month or the new_months - 1 months before it
--   growing   trailing-3 growth >= growth_threshold, or ordering again after 3 empty months
--   mature    everything else (growth between the thresholds)
-- Direct inputs: int_customer_activity_months, int_customer_tiers, the visit_policy seed.

{%- set growth_threshold = var('growth_threshold') %}

with

activity as (

    select * from {{ ref('int_customer_activity_months') }}

),

tiers as (

    select
        customer_id,
        month_start,
        tier,
        previous_tier,
        tier_move

    from {{ ref('int_customer_tiers') }}

),

policy as (

    select
        tier,
        onsite_visits_required,
        period_days

    from {{ ref('visit_policy') }}

),

measured as (

    select
        activity.*,
        tiers.tier,
        tiers.previous_tier,
        tiers.tier_move,
        cast(
            {{ dbt.datediff('activity.last_order_date', 'activity.reference_date', 'day') }}
            as {{ dbt.type_int() }}
        ) as days_since_last_order,
        cast(
            {{ dbt.datediff(
                dbt.date_trunc('month', 'activity.first_order_date'),
                'activity.month_start',
                'month'
            ) }}
            as {{ dbt.type_int() }}
        ) as months_since_first_order,
        cast(
            {{ dbt.datediff('activity.last_complaint_date', 'activity.reference_date', 'day') }}
            as {{ dbt.type_int() }}
        ) as days_since_last_complaint

    from activity
    left join tiers
        on activity.customer_id = tiers.customer_id
        and activity.month_start = tiers.month_start

),

staged as (

    select
        *,
        case
            when first_order_date is null then 'prospect'
            when days_since_last_order >= {{ var('churn_days') }} then 'churned'
            when days_since_last_order >= {{ var('decline_days') }} then 'declining'
            when trailing_3_growth <= -{{ growth_threshold }} then 'declining'
            when months_since_first_order < {{ var('new_months') }} then 'new'
            when trailing_3_growth >= {{ growth_threshold }} then 'growing'
            when previous_3_revenue <= 0 and trailing_3_revenue > 0 then 'growing'
            else 'mature'
        end as lifecycle_stage

    from measured

),

with_policy as (

    select
        staged.*,
        case when staged.lifecycle_stage = 'prospect' then 'prospect' else staged.tier end
            as policy_tier

    from staged

),

with_due as (

    select
        with_policy.*,
        {{ visit_interval_days('policy.period_days', 'policy.onsite_visits_required') }}
            as visit_interval_days

    from with_policy
    left join policy
        on with_policy.policy_tier = policy.tier

),

with_due_date as (

    select
        *,
        {{ next_visit_due_date('last_onsite_visit_date', 'first_activity_month', 'visit_interval_days') }}
            as next_visit_due_date

    from with_due

),

flagged as (

    select
        *,
        coalesce(
            lifecycle_stage not in ('prospect', 'churned')
            and median_order_gap_days is not null
            and days_since_last_order > greatest(
                {{ var('long_no_purchase_factor') }} * median_order_gap_days,
                {{ var('long_no_purchase_min_days') }}
            ),
            false
        ) as is_long_no_purchase,
        coalesce(tier_move = 'down', false) as is_tier_drop,
        coalesce(
            tier in ('S', 'A') and next_visit_due_date < reference_date,
            false
        ) as is_visit_overdue,
        coalesce(days_since_last_complaint < {{ var('complaint_alert_days') }}, false)
            as has_recent_complaint

    from with_due_date

),

final as (

    select
        -- keys
        customer_id,
        month_start,
        reference_date,
        month_start = cast({{ dbt.date_trunc('month', as_of_date()) }} as date)
            as is_as_of_month,

        -- current customer attributes
        region,
        channel,
        maintainer_rep_id,
        is_key_account,

        -- stage and tier
        lifecycle_stage,
        tier,
        previous_tier,
        tier_move,
        policy_tier,

        -- revenue and growth
        revenue,
        trailing_3_revenue,
        previous_3_revenue,
        trailing_3_growth,

        -- orders
        first_order_date,
        last_order_date,
        days_since_last_order,
        order_days_to_date,
        median_order_gap_days,

        -- visits
        first_activity_month,
        last_visit_date,
        last_onsite_visit_date,
        visit_interval_days,
        next_visit_due_date,
        last_complaint_date,

        -- alerts
        is_long_no_purchase,
        is_tier_drop,
        is_visit_overdue,
        has_recent_complaint,
        (case when is_long_no_purchase then 1 else 0 end)
        + (case when is_tier_drop then 1 else 0 end)
        + (case when is_visit_overdue then 1 else 0 end)
        + (case when has_recent_complaint then 1 else 0 end) as open_alert_count

    from flagged

)

select * from final
