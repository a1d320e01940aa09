-- Visits due (SPEC 7), the input of route planning: one row per customer whose next onsite
-- visit - the last onsite visit + the policy interval of its current tier (visit_policy:
-- period_days / onsite_visits_required, in whole days; the prospect policy while it never
-- ordered) - falls on or before the as-of date plus `visit_due_horizon_days`, so that a week
-- planned ahead also gets the visits falling due during that week. `is_due` marks the rows due
-- on the as-of date itself (the Visits page's due list and dim_customers.is_visit_due); the
-- others are upcoming, with a negative days_overdue (due in that many days). A customer never visited on site counts from
-- its first month of activity. Carries what the planner needs: where, when the owner is there,
-- planned minutes, and the priority inputs (must-visit = S or A, days overdue, score quadrant).

with

current_month as (

    select
        customer_id,
        tier,
        policy_tier,
        lifecycle_stage,
        first_activity_month,
        last_onsite_visit_date,
        is_visit_overdue

    from {{ ref('int_customer_lifecycle') }}
    where is_as_of_month

),

policy as (

    select
        tier,
        onsite_visits_required,
        period_days,
        planned_minutes

    from {{ ref('visit_policy') }}

),

customers as (

    select
        customer_id,
        customer_name,
        maintainer_rep_id,
        region,
        district,
        address,
        contact_name,
        phone,
        latitude,
        longitude,
        visit_window_start,
        visit_window_end,
        visit_window_start_min,
        visit_window_end_min

    from {{ ref('stg_sales_lake__customers') }}

),

scores as (

    select
        customer_id,
        evaluation_score,
        priority,
        quadrant

    from {{ ref('int_customer_scores') }}

),

with_interval as (

    select
        current_month.*,
        policy.onsite_visits_required,
        policy.period_days,
        policy.planned_minutes,
        {{ visit_interval_days('policy.period_days', 'policy.onsite_visits_required') }}
            as visit_interval_days

    from current_month
    inner join policy
        on current_month.policy_tier = policy.tier

),

with_due_date as (

    select
        *,
        {{ next_visit_due_date('last_onsite_visit_date', 'first_activity_month', 'visit_interval_days') }}
            as next_visit_due_date

    from with_interval

),

due as (

    select
        *,
        cast(
            {{ dbt.datediff('next_visit_due_date', as_of_date(), 'day') }}
            as {{ dbt.type_int() }}
        ) as days_overdue

    from with_due_date
    where next_visit_due_date <= cast(
        {{ dbt.dateadd('day', var('visit_due_horizon_days'), as_of_date()) }} as date
    )

),

final as (

    select
        -- keys
        due.customer_id,
        {{ as_of_date() }} as as_of_date,

        -- who and where
        customers.customer_name,
        customers.maintainer_rep_id,
        customers.region,
        customers.district,
        customers.address,
        customers.contact_name,
        customers.phone,
        customers.latitude,
        customers.longitude,
        customers.visit_window_start,
        customers.visit_window_end,
        customers.visit_window_start_min,
        customers.visit_window_end_min,

        -- policy
        due.tier,
        due.policy_tier,
        due.lifecycle_stage,
        due.onsite_visits_required,
        due.period_days,
        due.visit_interval_days,
        due.planned_minutes,

        -- due
        due.last_onsite_visit_date,
        due.last_onsite_visit_date is null as is_never_visited,
        due.next_visit_due_date,
        due.days_overdue,
        due.next_visit_due_date <= {{ as_of_date() }} as is_due,

        -- the one "S/A overdue" of every page: the flag the visit_overdue alert is raised on
        due.is_visit_overdue as is_sa_overdue,

        -- priority inputs
        coalesce(due.tier in ('S', 'A'), false) as is_must_visit,
        scores.evaluation_score,
        scores.priority,
        scores.quadrant,
        row_number() over (
            partition by customers.maintainer_rep_id
            order by
                case when due.tier in ('S', 'A') then 0 else 1 end,
                due.days_overdue desc,
                coalesce(scores.priority, 5),
                coalesce(scores.evaluation_score, 0) desc,
                due.customer_id
        ) as rep_due_rank

    from due
    inner join customers
        on due.customer_id = customers.customer_id
    left join scores
        on due.customer_id = scores.customer_id

)

select * from final
