-- Customer contribution (SPEC 4): one row per customer, grain and period. grain 'month' has
-- the rows of int_customer_months; 'quarter' and 'year' roll them up (calendar quarters and
-- years). Every comparison (share, peers, rank, rep book, previous period) is within one grain
-- and period. The period of the as-of date is partial (is_complete_period = false).
-- Money is summed from the unrounded customer-months (4 places) and not rounded here, so each
-- grain's total equals the order lines' total to the cent (tested); pages round once.

{%- set grains = {'month': 1, 'quarter': 3, 'year': 12} %}

with

customer_months as (

    select
        customer_id,
        month_start,
        region,
        channel,
        maintainer_rep_id,
        revenue,
        gross_profit,
        onsite_visits,
        phone_visits

    from {{ ref('int_customer_months') }}

),

periods as (

    {%- for grain, months in grains.items() %}

    select
        '{{ grain }}' as grain,
        cast({{ dbt.date_trunc(grain, 'month_start') }} as date) as period_start,
        cast(
            {{ dbt.dateadd('day', -1, dbt.dateadd('month', months, dbt.date_trunc(grain, 'month_start'))) }}
            as date
        ) as period_end,
        customer_id,
        region,
        channel,
        maintainer_rep_id,
        cast(sum(revenue) as decimal(18, 4)) as revenue,
        cast(sum(gross_profit) as decimal(18, 4)) as gross_profit,
        cast(sum(onsite_visits) as bigint) as onsite_visits,
        cast(sum(phone_visits) as bigint) as phone_visits

    from customer_months
    group by
        {{ dbt.date_trunc(grain, 'month_start') }},
        customer_id,
        region,
        channel,
        maintainer_rep_id
    {% if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

costed as (

    select
        *,
        cast(
            onsite_visits * cast({{ var('cost_per_onsite_visit') }} as decimal(18, 2))
            + phone_visits * cast({{ var('cost_per_phone_visit') }} as decimal(18, 2))
            as decimal(18, 2)
        ) as cost_to_serve,
        case when revenue > 0 then revenue else 0 end as positive_revenue

    from periods

),

compared as (

    select
        *,
        sum(revenue) over (partition by grain, period_start) as total_revenue,
        sum(gross_profit) over (partition by grain, period_start) as total_gross_profit,
        -- the peers' revenue as an exact decimal sum and a count, never a float average:
        -- a parallel sum of doubles differs in the last bit from one build to the next
        sum(revenue) over (partition by grain, period_start, region, channel)
            as peer_revenue,
        count(revenue) over (partition by grain, period_start, region, channel)
            as peer_customers,
        lag(revenue) over (partition by grain, customer_id order by period_start)
            as previous_period_revenue,
        rank() over (partition by grain, period_start, region order by revenue desc)
            as revenue_rank_in_region,
        sum(revenue) over (partition by grain, period_start, maintainer_rep_id)
            as rep_book_revenue,
        row_number() over (
            partition by grain, period_start, maintainer_rep_id
            order by revenue desc, customer_id
        ) as rep_book_rank,
        coalesce(
            sum(positive_revenue) over (
                partition by grain, period_start, maintainer_rep_id
                order by revenue desc, customer_id
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as rep_book_revenue_before,
        sum(positive_revenue) over (partition by grain, period_start, maintainer_rep_id)
            as rep_book_positive_revenue

    from costed

),

final as (

    select
        -- keys
        customer_id,
        grain,
        period_start,
        period_end,
        period_end <= {{ as_of_date() }} as is_complete_period,

        -- customer (current attributes)
        region,
        channel,
        maintainer_rep_id,

        -- revenue and profit
        revenue,
        cast(revenue as double) / cast(nullif(total_revenue, 0) as double) as revenue_share,
        gross_profit,
        cast(gross_profit as double) / cast(nullif(total_gross_profit, 0) as double)
            as gross_profit_share,

        -- cost to serve
        onsite_visits,
        phone_visits,
        cost_to_serve,
        cast(gross_profit - cost_to_serve as decimal(18, 4)) as net_contribution,

        -- horizontal (peers) and vertical (own history)
        cast(revenue as double) * cast(peer_customers as double)
            / cast(nullif(peer_revenue, 0) as double) as horizontal_index,
        cast(previous_period_revenue as decimal(18, 4)) as previous_period_revenue,
        cast(revenue as double) / cast(nullif(previous_period_revenue, 0) as double) - 1
            as vertical_change,

        -- rank and rep book
        revenue_rank_in_region,
        cast(revenue as double) / cast(nullif(rep_book_revenue, 0) as double)
            as share_of_rep_book,
        rep_book_rank,
        revenue > 0
            and rep_book_revenue_before
            < cast({{ var('rep_book_share') }} as decimal(9, 6)) * rep_book_positive_revenue
            as is_rep_book_core

    from compared

)

select * from final
