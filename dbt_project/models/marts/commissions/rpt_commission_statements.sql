-- Commission statements (SPEC 9): one row per credited rep (or house account) and month, the
-- sums of the rep's commission lines of the month. Every figure is a sum of line amounts that
-- are already rounded, so a statement equals the sum of its lines to the cent.
--   base_commission: lines that are not returns, at the rate; accelerator_commission: their
--   extra above the quota line; clawback_commission: the return lines (base and accelerator,
--   zero or negative). total_commission = base + accelerator + clawbacks.

with

lines as (

    select * from {{ ref('fct_commission_lines') }}

),

final as (

    select
        -- keys
        rep_id,
        month_start,

        -- the rep
        max(rep_name) as rep_name,
        max(region) as region,
        max(manager_rep_id) as manager_rep_id,
        max(case when is_house then 1 else 0 end) = 1 as is_house,
        max(plan_version) as plan_version,

        -- credited revenue (the commission base)
        count(*) as commission_lines,
        count(distinct customer_id) as customers,
        cast(sum(credited_revenue) as decimal(18, 4)) as credited_revenue,
        {%- for role in ['developer', 'maintainer', 'sole', 'house'] %}
        cast(sum(case when credit_role = '{{ role }}' then credited_revenue else 0 end)
            as decimal(18, 4)) as credited_revenue_{{ role }},
        {%- endfor %}
        cast(sum(case when is_return then credited_revenue else 0 end) as decimal(18, 4))
            as returned_revenue,

        -- quota and accelerator
        max(sales_quota) as sales_quota,
        max(quota_line) as quota_line,
        cast(sum(accelerated_revenue) as decimal(18, 4)) as accelerated_revenue,

        -- commission by kind
        cast(sum(case when not is_return then base_commission else 0 end) as decimal(18, 2))
            as base_commission,
        cast(sum(case when not is_return then accelerator_commission else 0 end)
            as decimal(18, 2)) as accelerator_commission,
        cast(sum(case when is_return then commission_amount else 0 end) as decimal(18, 2))
            as clawback_commission,

        -- commission by role
        {%- for role in ['developer', 'maintainer', 'sole', 'house'] %}
        cast(sum(case when credit_role = '{{ role }}' then commission_amount else 0 end)
            as decimal(18, 2)) as commission_{{ role }},
        {%- endfor %}

        cast(sum(commission_amount) as decimal(18, 2)) as total_commission

    from lines
    group by rep_id, month_start

)

select
    *,
    cast(credited_revenue / nullif(sales_quota, 0) as decimal(9, 4)) as quota_attainment

from final
