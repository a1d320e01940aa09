-- One row per staged customer with its current state, as the pages show it: master data,
-- the two reps by name, tier, lifecycle stage, score and quadrant, potential, the last order
-- and visit, the next onsite visit due, and the open alerts. "Current" = the as-of month's row
-- of the intermediate customer models (int_customer_lifecycle, _scores, _alerts), never of
-- the facts it describes. A customer with no order and no visit yet (has_activity false) is a
-- prospect of tier C, like any customer without revenue in the tier window; it has no score.

with

customers as (

    select * from {{ ref('stg_sales_lake__customers') }}

),

reps as (

    select
        rep_id,
        rep_name

    from {{ ref('stg_sales_lake__reps') }}

),

current_month as (

    select
        customer_id,
        tier,
        tier_move,
        lifecycle_stage,
        trailing_3_growth,
        first_order_date,
        last_order_date,
        days_since_last_order,
        median_order_gap_days,
        last_visit_date,
        last_onsite_visit_date,
        next_visit_due_date

    from {{ ref('int_customer_lifecycle') }}
    where is_as_of_month

),

scores as (

    select
        customer_id,
        avg_monthly_revenue,
        revenue_12m,
        evaluation_score,
        priority,
        quadrant,
        is_potential_candidate,
        potential_score

    from {{ ref('int_customer_scores') }}

),

alerts as (

    select
        customer_id,
        count(*) as open_alert_count,
        max(case when alert_type = 'long_no_purchase' then 1 else 0 end) as has_long_no_purchase,
        max(case when alert_type = 'tier_drop' then 1 else 0 end) as has_tier_drop,
        max(case when alert_type = 'visit_overdue' then 1 else 0 end) as has_visit_overdue,
        max(case when alert_type = 'recent_complaint' then 1 else 0 end) as has_recent_complaint

    from {{ ref('int_customer_alerts') }}
    group by customer_id

),

final as (

    select
        -- keys
        customers.customer_id,

        -- master data
        customers.customer_name,
        customers.channel,
        customers.region,
        customers.district,
        customers.address,
        customers.contact_name,
        customers.phone,
        customers.latitude,
        customers.longitude,
        customers.opened_date,
        customers.is_key_account,
        customers.is_group_purchase,
        customers.credit_limit,
        customers.payment_terms_days,
        customers.visit_window_start,
        customers.visit_window_end,

        -- reps
        customers.developer_rep_id,
        developers.rep_name as developer_rep_name,
        customers.maintainer_rep_id,
        maintainers.rep_name as maintainer_rep_name,

        -- tier and lifecycle
        current_month.customer_id is not null as has_activity,
        coalesce(current_month.tier, 'C') as tier,
        current_month.tier_move,
        coalesce(current_month.lifecycle_stage, 'prospect') as lifecycle_stage,
        current_month.trailing_3_growth,

        -- orders
        scores.avg_monthly_revenue,
        scores.revenue_12m,
        current_month.first_order_date,
        current_month.last_order_date,
        current_month.days_since_last_order,
        current_month.median_order_gap_days,

        -- visits
        current_month.last_visit_date,
        current_month.last_onsite_visit_date,
        current_month.next_visit_due_date,
        current_month.next_visit_due_date <= {{ as_of_date() }} as is_visit_due,

        -- evaluation
        scores.evaluation_score,
        scores.priority,
        scores.quadrant,
        scores.is_potential_candidate,
        scores.potential_score,

        -- alerts
        coalesce(alerts.open_alert_count, 0) as open_alert_count,
        nullif(
            concat_ws(
                ', ',
                case when alerts.has_long_no_purchase = 1 then 'long_no_purchase' end,
                case when alerts.has_tier_drop = 1 then 'tier_drop' end,
                case when alerts.has_visit_overdue = 1 then 'visit_overdue' end,
                case when alerts.has_recent_complaint = 1 then 'recent_complaint' end
            ),
            ''
        ) as open_alert_types,

        {{ as_of_date() }} as as_of_date

    from customers
    left join reps as developers
        on customers.developer_rep_id = developers.rep_id
    left join reps as maintainers
        on customers.maintainer_rep_id = maintainers.rep_id
    left join current_month
        on customers.customer_id = current_month.customer_id
    left join scores
        on customers.customer_id = scores.customer_id
    left join alerts
        on customers.customer_id = alerts.customer_id

)

select * from final
