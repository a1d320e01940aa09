-- Customer evaluation, priority and potential (SPEC 6): one row per customer as of the as-of
-- month (customers with an order or a visit so far).
--   Dimension scores 0-100: each a percentile within the customer's region (percentile_score:
--   percent_rank x 100, ties share the middle of their ranks). A dimension of two measures is
--   the percentile of the mean of their two percentiles.
--   evaluation_score = sum of weight x dimension score, weights from the scoring_weights seed.
--   Priority quadrant: evaluation score against service need (visit hours in the last
--   service_need_days days), each cut at a company-wide quantile (vars, median by default);
--   "high" = strictly above the cut.
--   Potential checklist: seven yes/no criteria; the latest assessment of a criterion (score
--   > 0 = yes) overrides the answer derived from data.
-- Direct inputs: int_customer_measures, the scoring_weights seed, stg_sales_lake__assessments.

{%- set growth_threshold = var('growth_threshold') %}
{%- set criteria = [
    'own_growth_good',
    'scale_above_region_median',
    'has_credit_headroom',
    'has_cross_sell_room',
    'fits_core_band',
    'competitive_position',
    'relationship_good',
] %}
{%- set dimensions = [
    'sales_contribution',
    'profit_contribution',
    'growth_contribution',
    'loyalty',
    'cooperation',
    'service_cost',
    'satisfaction',
] %}

with

measures as (

    select
        *,
        coalesce(region, '(no region)') as region_key,
        coalesce(channel, '(no channel)') as channel_key

    from {{ ref('int_customer_measures') }}

),

weights as (

    select
        {%- for dimension in dimensions %}
        coalesce(max(case when dimension = '{{ dimension }}' then weight end), 0)
            as {{ dimension }}_weight{{ ',' if not loop.last }}
        {%- endfor %}

    from {{ ref('scoring_weights') }}

),

assessments_ranked as (

    select
        customer_id,
        lower(trim(criterion)) as criterion,
        score,
        assessed_date,
        row_number() over (
            partition by customer_id, lower(trim(criterion))
            order by assessed_date desc, loaded_at desc, source_row desc
        ) as recency_rank

    from {{ ref('stg_sales_lake__assessments') }}

),

assessed as (

    select
        customer_id,
        {%- for criterion in criteria %}
        max(
            case
                when criterion = '{{ criterion }}' then case when score > 0 then 1 else 0 end
            end
        ) as assessed_{{ criterion }}{{ ',' if not loop.last }}
        {%- endfor %}

    from assessments_ranked
    where recency_rank = 1
    group by customer_id

),

-- the measure each dimension ranks (never null: engines sort nulls differently)
raw_measures as (

    select
        *,
        coalesce(
            cast(gross_profit_3m as double) / cast(nullif(revenue_3m, 0) as double),
            -1
        ) as gross_margin_3m,
        gross_profit_3m - cost_to_serve_3m as net_contribution_3m,
        trailing_3_revenue - previous_3_revenue as revenue_change_3m,
        coalesce(order_gap_variation, 99) as order_gap_variation_ranked,
        case
            when visits_12m > 0
                then cast(order_visits_12m as double) / cast(visits_12m as double)
            when order_count_12m > 0 then 1.0
            else 0.0
        end as order_visit_share,
        coalesce(
            cast(return_revenue_12m as double)
            / cast(nullif(revenue_12m + return_revenue_12m, 0) as double),
            0
        ) as return_rate,
        case
            when revenue_12m > 0
                then cast(visits_12m as double) * 10000 / cast(revenue_12m as double)
            when visits_12m = 0 then 0.0
            else 1e9
        end as visits_per_10k_revenue

    from measures

),

components as (

    select
        *,
        {{ percentile_score('gross_margin_3m', 'region_key') }} as gross_margin_percentile,
        {{ percentile_score('net_contribution_3m', 'region_key') }}
            as net_contribution_percentile,
        {{ percentile_score('months_with_orders_12m', 'region_key') }}
            as months_with_orders_percentile,
        {{ percentile_score('order_gap_variation_ranked', 'region_key', higher_is_better=false) }}
            as order_regularity_percentile,
        {{ percentile_score('order_visit_share', 'region_key') }} as order_visit_percentile,
        {{ percentile_score('return_rate', 'region_key', higher_is_better=false) }}
            as low_return_percentile

    from raw_measures

),

scored as (

    select
        *,
        {{ percentile_score('avg_monthly_revenue', 'region_key') }}
            as sales_contribution_score,
        {{ percentile_score('gross_margin_percentile + net_contribution_percentile', 'region_key') }}
            as profit_contribution_score,
        {{ percentile_score('revenue_change_3m', 'region_key') }} as growth_contribution_score,
        {{ percentile_score('months_with_orders_percentile + order_regularity_percentile', 'region_key') }}
            as loyalty_score,
        {{ percentile_score('order_visit_percentile + low_return_percentile', 'region_key') }}
            as cooperation_score,
        {{ percentile_score('visits_per_10k_revenue', 'region_key', higher_is_better=false) }}
            as service_cost_score,
        {{ percentile_score('complaint_visits_12m', 'region_key', higher_is_better=false) }}
            as satisfaction_score

    from components

),

evaluated as (

    select
        scored.*,
        cast(
            {%- for dimension in dimensions %}
            weights.{{ dimension }}_weight * scored.{{ dimension }}_score
            {{- ' +' if not loop.last }}
            {%- endfor %}
            as decimal(5, 2)
        ) as evaluation_score

    from scored
    cross join weights

),

-- The quantiles are doubles whose last bits differ between engines (each interpolates in its
-- own order): through decimal(18, 6) first, so a value such as 49.775 rounds the same on both.
cuts as (

    select
        cast(
            cast(
                {{ quantile_cont('evaluation_score', var('priority_value_cut_quantile')) }}
                as decimal(18, 6)
            )
            as decimal(9, 2)
        ) as value_cut,
        cast(
            cast(
                {{ quantile_cont('service_need_hours', var('priority_need_cut_quantile')) }}
                as decimal(18, 6)
            )
            as decimal(9, 2)
        ) as need_cut

    from evaluated

),

region_medians as (

    select
        region_key,
        {{ quantile_cont('revenue_12m', 0.5) }} as region_median_revenue_12m

    from measures
    where revenue_12m > 0
    group by region_key

),

peer_medians as (

    select
        region_key,
        channel_key,
        {{ quantile_cont('categories_12m', 0.5) }} as peer_median_categories

    from measures
    where categories_12m > 0
    group by region_key, channel_key

),

prioritised as (

    select
        evaluated.*,
        cuts.value_cut,
        cuts.need_cut,
        evaluated.evaluation_score > cuts.value_cut as is_high_value,
        -- no visit data loaded (has_visit_data false): the service-need axis is off
        case
            when evaluated.has_visit_data is not false
                then evaluated.service_need_hours > cuts.need_cut
        end as is_high_need,
        region_medians.region_median_revenue_12m,
        peer_medians.peer_median_categories

    from evaluated
    cross join cuts
    left join region_medians
        on evaluated.region_key = region_medians.region_key
    left join peer_medians
        on evaluated.region_key = peer_medians.region_key
        and evaluated.channel_key = peer_medians.channel_key

),

-- the checklist answers derived from data
derived as (

    select
        *,
        case
            when trailing_3_growth >= {{ growth_threshold }} then true
            when previous_3_revenue <= 0 and trailing_3_revenue > 0 then true
            else false
        end as data_own_growth_good,
        coalesce(revenue_12m > region_median_revenue_12m, false)
            as data_scale_above_region_median,
        coalesce(
            credit_limit
            > revenue_3m / 3 * coalesce(payment_terms_days, 0) / 30,
            false
        ) as data_has_credit_headroom,
        coalesce(categories_12m < peer_median_categories, false) as data_has_cross_sell_room,
        coalesce(buys_core_band, false) as data_fits_core_band,
        months_with_orders_3m >= 2 as data_competitive_position,
        coalesce(latest_relationship_level >= {{ var('relationship_level_good') }}, false)
            as data_relationship_good

    from prioritised

),

checked as (

    select
        derived.*,
        {%- for criterion in criteria %}
        case
            when assessed.assessed_{{ criterion }} is not null
                then assessed.assessed_{{ criterion }} = 1
            else derived.data_{{ criterion }}
        end as {{ criterion }},
        case when assessed.assessed_{{ criterion }} is not null then 'assessment' else 'data' end
            as {{ criterion }}_source{{ ',' if not loop.last }}
        {%- endfor %}

    from derived
    left join assessed
        on derived.customer_id = assessed.customer_id

),

final as (

    select
        -- keys
        customer_id,
        month_start,

        -- who
        region,
        channel,
        tier,
        lifecycle_stage,

        -- the measures ranked
        avg_monthly_revenue,
        revenue_12m,
        cast(gross_margin_3m as decimal(9, 4)) as gross_margin_3m,
        cast(net_contribution_3m as decimal(18, 2)) as net_contribution_3m,
        cast(revenue_change_3m as decimal(18, 2)) as revenue_change_3m,
        trailing_3_growth,
        months_with_orders_12m,
        order_gap_variation,
        cast(order_visit_share as decimal(9, 4)) as order_visit_share,
        cast(return_rate as decimal(9, 4)) as return_rate,
        cast(visits_per_10k_revenue as decimal(18, 4)) as visits_per_10k_revenue,
        complaint_visits_12m,

        -- dimension scores (0-100, percentile within region)
        {%- for dimension in dimensions %}
        {{ dimension }}_score,
        {%- endfor %}

        -- evaluation and priority
        evaluation_score,
        service_need_hours,
        value_cut,
        need_cut,
        is_high_value,
        is_high_need,
        has_visit_data is not false as has_visit_data,
        case
            when is_high_need is null then null
            when is_high_value and not is_high_need then 1
            when is_high_value and is_high_need then 2
            when not is_high_value and not is_high_need then 3
            else 4
        end as priority,
        case
            when is_high_need is null then null
            when is_high_value and not is_high_need then 'quick_win'
            when is_high_value and is_high_need then 'develop'
            when not is_high_value and not is_high_need then 'maintain'
            else 'reduce'
        end as quadrant,

        -- potential checklist (meant for prospects and C customers)
        coalesce(lifecycle_stage = 'prospect' or tier = 'C', false) as is_potential_candidate,
        {%- for criterion in criteria %}
        {{ criterion }},
        {{ criterion }}_source,
        {%- endfor %}
        {%- for criterion in criteria %}
        (case when {{ criterion }} then 1 else 0 end){{ ' +' if not loop.last }}
        {%- endfor %} as potential_score

    from checked

)

select * from final
