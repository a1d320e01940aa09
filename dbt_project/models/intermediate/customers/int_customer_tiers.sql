-- Customer tiers (SPEC 3): one row per customer and month (the rows of int_customer_months),
-- the customer's ABC(S) tier as of that month, the previous month's tier and the move.
-- Reads only int_customer_months, so its unit tests need one fixture.
--
-- Ranking and the share comparisons use the trailing window SUM, which orders customers exactly
-- as the average does (average = sum / window_months), in decimal arithmetic:
-- revenue_before < share x scope_revenue, never a floating ratio, so a customer that lands
-- exactly on a boundary belongs to the upper tier.

{%- set window_months = var('tier_window_months') | int %}
{%- set tier_method = var('tier_method') %}
{%- set tier_scope = var('tier_scope') %}
{%- if tier_method not in ['pareto', 'threshold'] %}
    {{ exceptions.raise_compiler_error("var tier_method must be 'pareto' or 'threshold', got '" ~ tier_method ~ "'") }}
{%- endif %}
{%- if tier_scope not in ['company', 'region'] %}
    {{ exceptions.raise_compiler_error("var tier_scope must be 'company' or 'region', got '" ~ tier_scope ~ "'") }}
{%- endif %}
{%- if window_months < 1 %}
    {{ exceptions.raise_compiler_error("var tier_window_months must be at least 1") }}
{%- endif %}

with

customer_months as (

    select
        customer_id,
        month_start,
        region,
        is_key_account,
        revenue

    from {{ ref('int_customer_months') }}

),

windowed as (

    select
        customer_id,
        month_start,
        region,
        {% if tier_scope == 'region' -%}
        coalesce(region, '(no region)') as tier_scope_key,
        {%- else -%}
        'company' as tier_scope_key,
        {%- endif %}
        coalesce(is_key_account, false) as is_key_account,
        -- the spine has every month from the customer's first; earlier months are 0
        cast(
            sum(revenue) over (
                partition by customer_id
                order by month_start
                rows between {{ window_months - 1 }} preceding and current row
            )
            as decimal(28, 2)
        ) as window_revenue

    from customer_months

),

positive as (

    select
        *,
        -- only positive averages make up the scope total (a net-return customer adds nothing)
        case when window_revenue > 0 then window_revenue else 0 end as positive_window_revenue

    from windowed

),

ranked as (

    select
        *,
        row_number() over (
            partition by tier_scope_key, month_start
            order by window_revenue desc, customer_id
        ) as tier_rank,
        cast(
            coalesce(
                sum(positive_window_revenue) over (
                    partition by tier_scope_key, month_start
                    order by window_revenue desc, customer_id
                    rows between unbounded preceding and 1 preceding
                ),
                0
            )
            as decimal(28, 2)
        ) as revenue_before,
        cast(
            sum(positive_window_revenue) over (partition by tier_scope_key, month_start)
            as decimal(28, 2)
        ) as scope_revenue

    from positive

),

tiered as (

    select
        *,
        case
            when is_key_account then 'S'
            when window_revenue <= 0 then 'C'
            {%- if tier_method == 'pareto' %}
            when revenue_before < cast({{ var('tier_s_share') }} as decimal(9, 6)) * scope_revenue
                then 'S'
            when revenue_before < cast({{ var('tier_a_share') }} as decimal(9, 6)) * scope_revenue
                then 'A'
            when revenue_before < cast({{ var('tier_b_share') }} as decimal(9, 6)) * scope_revenue
                then 'B'
            {%- else %}
            -- average >= threshold, as sum >= threshold x window_months (exact)
            when window_revenue
                >= cast({{ var('tier_threshold_a') }} as decimal(18, 2)) * {{ window_months }}
                then 'A'
            when window_revenue
                >= cast({{ var('tier_threshold_b') }} as decimal(18, 2)) * {{ window_months }}
                then 'B'
            {%- endif %}
            else 'C'
        end as tier

    from ranked

),

with_previous as (

    select
        *,
        lag(tier) over (partition by customer_id order by month_start) as previous_tier

    from tiered

),

final as (

    select
        -- keys
        customer_id,
        month_start,

        -- scope and method
        region,
        tier_scope_key,
        '{{ tier_method }}' as tier_method,
        cast({{ window_months }} as {{ dbt.type_int() }}) as window_months,

        -- measures
        -- to the cent before dividing, so DuckDB (double) and Spark (exact) round alike
        cast(cast(window_revenue as decimal(18, 2)) / {{ window_months }} as decimal(18, 2))
            as avg_monthly_revenue,
        tier_rank,
        cast(revenue_before as double) / cast(nullif(scope_revenue, 0) as double)
            as cum_share_before,

        -- tier
        tier,
        previous_tier,
        case
            when previous_tier is null then 'new'
            when {{ tier_order('tier') }} > {{ tier_order('previous_tier') }} then 'up'
            when {{ tier_order('tier') }} < {{ tier_order('previous_tier') }} then 'down'
            else 'same'
        end as tier_move,
        is_key_account

    from with_previous

)

select * from final
