-- Customer assignments, effective-dated: one row per customer and period in which its
-- maintainer, developer and region stayed the same (valid_from .. valid_to, both inclusive).
-- Every order line is credited to the row in force on its order date.
--   Where the history comes from: each load of the customers file in which a customer appears
--   is a snapshot of its assignment. A later load supersedes the customer's row in staging,
--   but here the earlier snapshots are kept (rows rejected only as superseded_by_later_load,
--   the first of each load; a superseded row whose reps are not staged, or whose assigned_from
--   is after the as-of date, is left out, as staging would have rejected it on its own).
--   When a snapshot takes effect (the one decision): its assigned_from when the file gives it;
--   else the load date (the UTC date the file was accepted). The desk cannot know a change
--   before the file that says so was loaded, and the load date never credits an order booked
--   before it to a rep the customer did not have yet; a file that knows better says so in
--   assigned_from. A customer's first snapshot is in force since the start of the records
--   (valid_from null): there is nothing earlier to credit its older orders to.
--   Later loads win: from a snapshot's effective date on, every earlier load is overruled, so a
--   correction (a later load with an earlier assigned_from) replaces what it overlaps, and an
--   earlier load left with no day of its own drops out. The snapshots left are contiguous;
--   consecutive ones with the same maintainer, developer and region are one period. So on
--   every day exactly one row is in force, and the last (valid_to null) is the latest load's
--   row, the one stg_sales_lake__customers holds: the current book.
--   Only customers that staging keeps have assignments.

{%- set load_date = "cast(loaded_at as date)" %}

with

checked as (

    select
        customer_id,
        maintainer_rep_id,
        developer_rep_id,
        region,
        assigned_from,
        load_id,
        source_row,
        loaded_at,
        rejection_rule

    from {{ ref('base_sales_lake__customers') }}
    where rejection_rule is null
        or rejection_rule = 'superseded_by_later_load'

),

staged_customers as (

    select customer_id
    from checked
    where rejection_rule is null

),

reps as (

    select rep_id from {{ ref('stg_sales_lake__reps') }}

),

-- the first row of each load of a customer (a load's later duplicates are not snapshots)
first_rows as (

    select
        *,
        row_number() over (
            partition by customer_id, load_id
            order by source_row
        ) as row_in_load

    from checked

),

snapshots as (

    select
        first_rows.customer_id,
        first_rows.maintainer_rep_id,
        first_rows.developer_rep_id,
        first_rows.region,
        first_rows.assigned_from,
        first_rows.load_id,
        first_rows.loaded_at

    from first_rows
    inner join staged_customers
        on first_rows.customer_id = staged_customers.customer_id
    left join reps as maintainer_reps
        on first_rows.maintainer_rep_id = maintainer_reps.rep_id
    left join reps as developer_reps
        on first_rows.developer_rep_id = developer_reps.rep_id
    where first_rows.row_in_load = 1
        and (
            first_rows.rejection_rule is null
            or (
                (first_rows.maintainer_rep_id is null or maintainer_reps.rep_id is not null)
                and (first_rows.developer_rep_id is null or developer_reps.rep_id is not null)
                and (first_rows.assigned_from is null or first_rows.assigned_from <= {{ as_of_date() }})
            )
        )

),

ordered as (

    select
        *,
        row_number() over (
            partition by customer_id
            order by loaded_at, load_id
        ) as load_order

    from snapshots

),

effective as (

    select
        *,
        case
            when load_order = 1 then 'first_load'
            when assigned_from is not null then 'assigned_from'
            else 'load_date'
        end as effective_by,
        case
            when load_order > 1 then coalesce(assigned_from, {{ load_date }})
        end as effective_from

    from ordered

),

-- a snapshot is in force from its effective date until the earliest effective date of any
-- later load (later loads win)
bounded as (

    select
        *,
        min(effective_from) over (
            partition by customer_id
            order by load_order
            rows between 1 following and unbounded following
        ) as overruled_from

    from effective

),

in_force as (

    select
        *,
        lag(maintainer_rep_id) over (partition by customer_id order by load_order)
            as previous_maintainer_rep_id,
        lag(developer_rep_id) over (partition by customer_id order by load_order)
            as previous_developer_rep_id,
        lag(region) over (partition by customer_id order by load_order) as previous_region,
        row_number() over (partition by customer_id order by load_order) as kept_order

    from bounded
    where load_order = 1
        or overruled_from is null
        or effective_from < overruled_from

),

-- a snapshot that changes nothing continues the period before it
period_starts as (

    select
        *,
        lead(effective_from) over (partition by customer_id order by load_order)
            as next_valid_from

    from in_force
    where kept_order = 1
        or coalesce(maintainer_rep_id, '') <> coalesce(previous_maintainer_rep_id, '')
        or coalesce(developer_rep_id, '') <> coalesce(previous_developer_rep_id, '')
        or coalesce(region, '') <> coalesce(previous_region, '')

),

final as (

    select
        -- keys
        customer_id,
        cast(row_number() over (partition by customer_id order by load_order) as {{ dbt.type_bigint() }})
            as assignment_number,

        -- the period (inclusive; null valid_from: since the start of the records, null
        -- valid_to: still in force)
        effective_from as valid_from,
        cast({{ dbt.dateadd('day', -1, 'next_valid_from') }} as date) as valid_to,
        next_valid_from is null as is_current,

        -- the assignment
        maintainer_rep_id,
        developer_rep_id,
        region,

        -- where it comes from
        effective_by,
        assigned_from,
        load_id,
        loaded_at

    from period_starts

)

select * from final
