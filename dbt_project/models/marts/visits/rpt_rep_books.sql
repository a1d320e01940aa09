-- One row per rep as of the as-of date: the book of customers the rep maintains and how the
-- rep works it. "12 months" = the as-of month and the 11 before it.
--   Book: customers, their revenue in the 12 months, the Pareto count (how many of the rep's
--   customers, largest first, make rep_book_share of that revenue; the customer that crosses
--   the share counts), and coverage (share of the customers not past their next onsite visit
--   due date: visited per visit_policy).
--   Activity (the rep's own visits, any customer, 12 months): visits per working day (a day
--   with at least one visit), average visit duration, share of visits with outcome order,
--   and onsite check-ins farther than checkin_max_km from the customer's coordinates.

{%- set as_of_month = "cast(" ~ dbt.date_trunc('month', as_of_date()) ~ " as date)" %}
{%- set start_12 = "cast(" ~ dbt.dateadd('month', -11, as_of_month) ~ " as date)" %}

with

reps as (

    select
        rep_id,
        rep_name,
        region,
        role,
        has_left

    from {{ ref('dim_reps') }}

),

book_customers as (

    select
        maintainer_rep_id as rep_id,
        customer_id,
        coalesce(revenue_12m, 0) as revenue_12m,
        case when revenue_12m > 0 then revenue_12m else 0 end as positive_revenue_12m,
        coalesce(next_visit_due_date >= {{ as_of_date() }}, false) as is_visited_per_policy

    from {{ ref('dim_customers') }}

),

book_ranked as (

    select
        *,
        coalesce(
            sum(positive_revenue_12m) over (
                partition by rep_id
                order by revenue_12m desc, customer_id
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as revenue_before,
        sum(positive_revenue_12m) over (partition by rep_id) as book_revenue

    from book_customers

),

books as (

    select
        rep_id,
        count(*) as customers,
        sum(revenue_12m) as revenue_12m,
        sum(
            case
                when positive_revenue_12m > 0
                    and revenue_before
                    < cast({{ var('rep_book_share') }} as decimal(9, 6)) * book_revenue
                    then 1
                else 0
            end
        ) as pareto_customers,
        sum(case when is_visited_per_policy then 1 else 0 end) as customers_visited_per_policy

    from book_ranked
    group by rep_id

),

activity as (

    select
        rep_id,
        count(*) as visits_12m,
        sum(case when is_onsite then 1 else 0 end) as onsite_visits_12m,
        count(distinct visit_date) as working_days_12m,
        -- exact integer sum and count, then one division (not a float average)
        cast(sum(duration_min) as double) / cast(nullif(count(duration_min), 0) as double)
            as avg_visit_minutes,
        sum(case when outcome = 'order' then 1 else 0 end) as order_visits_12m,
        sum(case when is_onsite and checkin_distance_km is not null then 1 else 0 end)
            as checked_in_onsite_visits_12m,
        sum(case when is_onsite and is_far_checkin then 1 else 0 end) as far_checkins_12m

    from {{ ref('int_visits_located') }}
    where visit_date >= {{ start_12 }}
    group by rep_id

),

final as (

    select
        -- keys
        reps.rep_id,
        {{ as_of_date() }} as as_of_date,

        -- the rep
        reps.rep_name,
        reps.region,
        reps.role,
        reps.has_left,

        -- book
        coalesce(books.customers, 0) as customers,
        cast(coalesce(books.revenue_12m, 0) as decimal(18, 4)) as revenue_12m,
        coalesce(books.pareto_customers, 0) as pareto_customers,
        cast(
            cast(books.pareto_customers as double) / cast(nullif(books.customers, 0) as double)
            as decimal(9, 4)
        ) as pareto_customer_share,
        coalesce(books.customers_visited_per_policy, 0) as customers_visited_per_policy,
        cast(
            cast(books.customers_visited_per_policy as double)
            / cast(nullif(books.customers, 0) as double)
            as decimal(9, 4)
        ) as coverage_rate,

        -- activity
        coalesce(activity.visits_12m, 0) as visits_12m,
        coalesce(activity.onsite_visits_12m, 0) as onsite_visits_12m,
        coalesce(activity.working_days_12m, 0) as working_days_12m,
        cast(
            cast(activity.visits_12m as double) / cast(nullif(activity.working_days_12m, 0) as double)
            as decimal(9, 2)
        ) as visits_per_working_day,
        cast(activity.avg_visit_minutes as decimal(9, 1)) as avg_visit_minutes,
        cast(
            cast(activity.order_visits_12m as double) / cast(nullif(activity.visits_12m, 0) as double)
            as decimal(9, 4)
        ) as order_visit_share,
        coalesce(activity.checked_in_onsite_visits_12m, 0) as checked_in_onsite_visits_12m,
        coalesce(activity.far_checkins_12m, 0) as far_checkins_12m,
        cast(
            cast(activity.far_checkins_12m as double)
            / cast(nullif(activity.checked_in_onsite_visits_12m, 0) as double)
            as decimal(9, 4)
        ) as far_checkin_share

    from reps
    left join books
        on reps.rep_id = books.rep_id
    left join activity
        on reps.rep_id = activity.rep_id

)

select * from final
