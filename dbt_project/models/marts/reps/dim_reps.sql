-- One row per rep (every valid rep of the master), for the pages: who the rep is, their
-- manager and region, whether they have left, and where and when their working day starts
-- (route planning).

with

reps as (

    select * from {{ ref('stg_sales_lake__reps') }}

),

final as (

    select
        -- ids
        rep_id,
        manager_rep_id,

        -- who
        rep_name,
        region,
        role,
        hired_date,
        left_date,
        left_date is not null as has_left,

        -- the working day
        base_latitude,
        base_longitude,
        workday_start,
        workday_end,
        workday_start_min,
        workday_end_min

    from reps

)

select * from final
