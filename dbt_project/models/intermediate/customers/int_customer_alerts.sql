-- Open customer alerts as of the as-of date (SPEC 5): one row per customer and alert type
-- raised in the as-of month's row of int_customer_lifecycle, with a sentence for the pages,
-- the day the condition began and a severity (high first for the accounts that matter most).
--   long_no_purchase  days since the last order > long_no_purchase_factor x median order gap,
--                     and > long_no_purchase_min_days (a daily buyer is not chased after 2 days)
--   tier_drop         the tier fell this month
--   visit_overdue     an S or A customer past its next onsite visit due date
--   recent_complaint  a complaint in the last complaint_alert_days days, with its visit note
-- No visits loaded at all is a state, not "never visited": visit_overdue is off until the lake
-- has visits.

with

current_month as (

    select * from {{ ref('int_customer_lifecycle') }}
    where is_as_of_month

),

visit_data as (

    select count(*) > 0 as has_visit_data
    from {{ ref('int_visits_located') }}

),

long_no_purchase as (

    select
        customer_id,
        'long_no_purchase' as alert_type,
        {{ dbt.concat([
            "'No order for '",
            "cast(days_since_last_order as " ~ dbt.type_string() ~ ")",
            "' days (last ordered '",
            "cast(last_order_date as " ~ dbt.type_string() ~ ")",
            "'); usually orders every '",
            "cast(cast(round(median_order_gap_days, 0) as " ~ dbt.type_int() ~ ") as " ~ dbt.type_string() ~ ")",
            "' days: contact now.'",
        ]) }} as detail,
        cast(
            {{ dbt.dateadd(
                'day',
                'cast(floor(greatest(' ~ var('long_no_purchase_factor') ~ ' * median_order_gap_days, '
                    ~ var('long_no_purchase_min_days') ~ ')) as ' ~ dbt.type_int() ~ ') + 1',
                'last_order_date'
            ) }}
            as date
        ) as since_date,
        case
            when tier in ('S', 'A') then 'high'
            when tier = 'B' then 'medium'
            else 'low'
        end as severity,
        tier,
        lifecycle_stage

    from current_month
    where is_long_no_purchase

),

tier_drop as (

    select
        customer_id,
        'tier_drop' as alert_type,
        {{ dbt.concat(["'Tier dropped from '", "previous_tier", "' to '", "tier", "' this month.'"]) }}
            as detail,
        month_start as since_date,
        case
            when {{ tier_order('previous_tier') }} - {{ tier_order('tier') }} >= 2 then 'high'
            else 'medium'
        end as severity,
        tier,
        lifecycle_stage

    from current_month
    where is_tier_drop

),

visit_overdue as (

    select
        customer_id,
        'visit_overdue' as alert_type,
        {{ dbt.concat([
            "'Tier '",
            "tier",
            "' customer due for an onsite visit since '",
            "cast(next_visit_due_date as " ~ dbt.type_string() ~ ")",
            "coalesce(" ~ dbt.concat([
                "' (last onsite visit '",
                "cast(last_onsite_visit_date as " ~ dbt.type_string() ~ ")",
                "').'",
            ]) ~ ", ' (never visited on site).')",
        ]) }} as detail,
        cast({{ dbt.dateadd('day', 1, 'next_visit_due_date') }} as date) as since_date,
        case when tier = 'S' then 'high' else 'medium' end as severity,
        tier,
        lifecycle_stage

    from current_month
    cross join visit_data
    where current_month.is_visit_overdue
        and visit_data.has_visit_data

),

complaint_notes as (

    -- the note of each customer's latest complaint visit (the one the alert is about)
    select
        customer_id,
        visit_date,
        notes

    from (
        select
            customer_id,
            visit_date,
            notes,
            row_number() over (
                partition by customer_id order by started_at desc, visit_id desc
            ) as complaint_rank
        from {{ ref('int_visits_located') }}
        where outcome = 'complaint'
    ) as ranked
    where complaint_rank = 1

),

recent_complaint as (

    select
        current_month.customer_id,
        'recent_complaint' as alert_type,
        {{ dbt.concat([
            "'Complaint recorded on '",
            "cast(current_month.last_complaint_date as " ~ dbt.type_string() ~ ")",
            "coalesce(" ~ dbt.concat(["': '", "complaint_notes.notes"]) ~ ", '')",
            "'.'",
        ]) }} as detail,
        current_month.last_complaint_date as since_date,
        case when current_month.tier in ('S', 'A') then 'high' else 'medium' end as severity,
        current_month.tier,
        current_month.lifecycle_stage

    from current_month
    left join complaint_notes
        on current_month.customer_id = complaint_notes.customer_id
        and current_month.last_complaint_date = complaint_notes.visit_date
    where current_month.has_recent_complaint

),

unioned as (

    select * from long_no_purchase
    union all
    select * from tier_drop
    union all
    select * from visit_overdue
    union all
    select * from recent_complaint

),

final as (

    select
        -- keys
        customer_id,
        alert_type,

        -- the alert
        severity,
        since_date,
        detail,

        -- context
        tier,
        lifecycle_stage,
        {{ as_of_date() }} as as_of_date

    from unioned

)

select * from final
