-- One row per valid visit, with its week and month and the distance of the check-in from the
-- customer's coordinates. The only model of the visit marts that reads the visit log: the
-- others aggregate this table.

with

visits as (

    select
        visit_id,
        rep_id,
        customer_id,
        started_at,
        visit_date,
        duration_min,
        visit_type,
        purpose,
        outcome,
        relationship_level,
        checkin_latitude,
        checkin_longitude,
        notes,
        next_step,
        follow_up_date,
        recorded_by,
        recorded_at

    from {{ ref('stg_sales_lake__visits') }}

),

customers as (

    select
        customer_id,
        latitude,
        longitude

    from {{ ref('stg_sales_lake__customers') }}

),

located as (

    select
        visits.*,
        {{ haversine_km(
            'customers.latitude', 'customers.longitude',
            'visits.checkin_latitude', 'visits.checkin_longitude'
        ) }} as checkin_distance_km

    from visits
    left join customers
        on visits.customer_id = customers.customer_id

),

final as (

    select
        -- ids
        visit_id,
        rep_id,
        customer_id,

        -- when
        started_at,
        visit_date,
        cast({{ dbt.date_trunc('week', 'visit_date') }} as date) as week_start,
        cast({{ dbt.date_trunc('month', 'visit_date') }} as date) as month_start,
        duration_min,

        -- what
        coalesce(visit_type = 'onsite', false) as is_onsite,
        purpose,
        outcome,
        relationship_level,
        notes,
        next_step,
        follow_up_date,

        -- record (entered in the app; null for visits loaded from files)
        recorded_by,
        recorded_at,

        -- where (no check-in location: a phone visit, or a location the phone refused)
        checkin_latitude is not null and checkin_longitude is not null as has_checkin_location,
        -- (no distance when the check-in or the customer has no coordinates, as for a
        -- phone visit; such a visit is never a far check-in)
        cast(checkin_distance_km as decimal(12, 3)) as checkin_distance_km,
        coalesce(checkin_distance_km > {{ var('checkin_max_km') }}, false) as is_far_checkin

    from located

)

select * from final
