-- int_customer_assignments: on every day exactly one assignment of a customer is in force.
-- A customer's periods, in order, start with valid_from null (since the start of the
-- records), each begins the day after the one before ends (no gap, no overlap), none ends
-- before it begins, and only the last is open (valid_to null). Every staged customer has
-- assignments. Returns the rows that break this.

with

assignments as (

    select
        customer_id,
        assignment_number,
        valid_from,
        valid_to,
        lag(valid_to) over (
            partition by customer_id
            order by assignment_number
        ) as previous_valid_to,
        count(*) over (partition by customer_id) as assignment_count

    from {{ ref('int_customer_assignments') }}

),

broken as (

    select
        customer_id,
        assignment_number,
        'period' as problem

    from assignments
    where (assignment_number = 1 and valid_from is not null)
        or (
            assignment_number > 1
            and (
                valid_from is null
                or previous_valid_to is null
                or valid_from <> cast({{ dbt.dateadd('day', 1, 'previous_valid_to') }} as date)
            )
        )
        or (assignment_number = assignment_count and valid_to is not null)
        or (assignment_number < assignment_count and valid_to is null)
        or valid_to < valid_from

    union all

    select
        customers.customer_id,
        cast(null as {{ dbt.type_bigint() }}) as assignment_number,
        'no assignment' as problem

    from {{ ref('stg_sales_lake__customers') }} as customers
    left join assignments
        on customers.customer_id = assignments.customer_id
    where assignments.customer_id is null

)

select * from broken
