-- One row per valid visit, for the pages: the visit timeline of a customer card, visits per
-- day and the far check-ins of the Visits page. The visit with the customer's region and name
-- and the visiting rep's name, so a page can filter and label without another join.

with

visits as (

    select * from {{ ref('int_visits_located') }}

),

customers as (

    select
        customer_id,
        customer_name,
        region,
        channel,
        maintainer_rep_id

    from {{ ref('stg_sales_lake__customers') }}

),

reps as (

    select
        rep_id,
        rep_name

    from {{ ref('stg_sales_lake__reps') }}

),

final as (

    select
        -- ids
        visits.visit_id,
        visits.rep_id,
        visits.customer_id,

        -- who
        reps.rep_name,
        customers.customer_name,
        customers.region,
        customers.channel,
        customers.maintainer_rep_id,

        -- when
        visits.started_at,
        visits.visit_date,
        visits.week_start,
        visits.month_start,
        visits.duration_min,

        -- what
        visits.is_onsite,
        visits.purpose,
        visits.outcome,
        visits.relationship_level,
        visits.notes,
        visits.next_step,
        visits.follow_up_date,
        visits.recorded_by,
        visits.recorded_at,

        -- where
        visits.has_checkin_location,
        visits.checkin_distance_km,
        visits.is_far_checkin

    from visits
    left join customers
        on visits.customer_id = customers.customer_id
    left join reps
        on visits.rep_id = reps.rep_id

)

select * from final
