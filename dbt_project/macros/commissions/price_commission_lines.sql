{#-
    The commission pricing (SPEC 9), once: int_commission_credits and fct_commission_lines call
    these macros, and so does the what-if (analyses/commissions/commission_whatif.sql, compiled
    with every build and run by models/queries/commissions.py over the lines of a period under an edited
    plan). A change to the arithmetic or the rounding here reaches the build and the what-if
    alike.

    Each macro writes CTEs (``name as (...)``, comma-separated, no trailing comma) for the
    caller's ``with`` list: the last one is named ``into``, the others ``<into>_<step>``. Only
    the SQL the models already used (portable to Spark): no nested ``with``.
-#}

{#-
    price_commission_credits(credits, into): a credit line's share, credited revenue and base
    commission. ``credits`` has one row per order line and credited role, with
      account_role        'developer' for the developer's side of a split line, else the
                          maintainer's ('maintainer', 'sole')
      is_split_line       a split account's line under a plan (both roles have a line)
      is_first_order_month, order_revenue, rate (null: no plan, commission 0),
      plan_developer_share, plan_first_order_developer_share
    ``into`` is ``credits``' columns and ``developer_share`` (null unless split), ``share``,
    ``credited_revenue``, ``base_commission``.
    Money: the order line's commission is revenue x rate rounded once to the cent; a split gives
    the developer round(that x share, 2) and the maintainer the rest, so the parts add up to the
    order line's commission exactly (credited revenue likewise, to 4 places).
-#}
{% macro price_commission_credits(credits, into) %}
{{ into }}_split as {{ not_materialized() }} (

    select
        {{ credits }}.*,
        cast(coalesce(round(order_revenue * rate, 2), 0) as decimal(18, 2)) as order_commission,
        case
            when not is_split_line then null
            when is_first_order_month then plan_first_order_developer_share
            else plan_developer_share
        end as developer_share

    from {{ credits }}

),

{{ into }} as (

    select
        {{ into }}_split.*,
        cast(
            case
                when not is_split_line then 1
                when account_role = 'developer' then developer_share
                else 1 - developer_share
            end as decimal(9, 4)
        ) as share,
        {{ commission_split_amount('order_revenue', 4) }} as credited_revenue,
        {{ commission_split_amount('order_commission', 2) }} as base_commission

    from {{ into }}_split

)
{% endmacro %}

{#-
    commission_split_amount(amount, places): a credit line's part of an order line's amount
    (revenue, commission): all of it unless the line is split; the developer round(amount x
    developer_share, places), the maintainer the rest, so the two parts add up exactly.
-#}
{% macro commission_split_amount(amount, places) -%}
{%- set developer_part -%}
cast(round({{ amount }} * developer_share, {{ places }}) as decimal(18, {{ places }}))
{%- endset -%}
case
            when not is_split_line then {{ amount }}
            when account_role = 'developer' then {{ developer_part }}
            else cast({{ amount }} - {{ developer_part }} as decimal(18, {{ places }}))
        end
{%- endmacro %}

{#-
    price_commission_accelerator(lines, quotas, into): the accelerator and the line's commission.
    ``lines`` has one row per credit line, with rep_id, is_house, month_start, order_date,
    order_id, line_number, account_role, rate, credited_revenue, base_commission,
    plan_accelerator and plan_quota_threshold; ``quotas`` one row per rep and month
    (rep_id, quota_month, sales_quota). ``into`` is ``lines``' columns and ``sales_quota``,
    ``quota_line``, ``accelerated_revenue``, ``accelerator_applied``,
    ``accelerator_commission``, ``commission_amount``.
    Rule: a rep's credited revenue of a month above quota_threshold x the rep's sales quota earns
    rate x accelerator instead of the rate. Lines are taken in booking order (order date, order,
    line); each line's accelerated revenue is how far it moves the rep's running total beyond
    the quota line (a return that brings it back is negative), so the month's accelerated
    revenue is exactly max(0, credited revenue - quota line). Months that end at or under the
    quota line, reps without a quota and house accounts get none; a line without a rate (no
    plan) none either. The extra, accelerated revenue x rate x (accelerator - 1), is rounded
    once per line to the cent; the line's commission is base + extra.
-#}
{% macro price_commission_accelerator(lines, quotas, into) %}
-- One row per rep and month with a quota (house accounts have none): the quota line and
-- whether the month ends above it.
{{ into }}_rep_months as (

    select
        {{ lines }}.rep_id,
        {{ lines }}.month_start,
        max({{ quotas }}.sales_quota) as sales_quota,
        max(cast({{ quotas }}.sales_quota * {{ lines }}.plan_quota_threshold as decimal(18, 2)))
            as quota_line,
        max({{ lines }}.plan_accelerator) as plan_accelerator,
        sum({{ lines }}.credited_revenue) as month_credited_revenue

    from {{ lines }}
    inner join {{ quotas }}
        on {{ lines }}.rep_id = {{ quotas }}.rep_id
        and {{ lines }}.month_start = {{ quotas }}.quota_month
    where not {{ lines }}.is_house
    group by {{ lines }}.rep_id, {{ lines }}.month_start

),

{{ into }}_over_quota_months as (

    select
        rep_id,
        month_start,
        quota_line

    from {{ into }}_rep_months
    where plan_accelerator > 1
        and month_credited_revenue > quota_line

),

-- The running total only over the lines of months that end above the quota line (narrow).
{{ into }}_running as (

    select
        {{ lines }}.order_id,
        {{ lines }}.line_number,
        {{ lines }}.account_role,
        {{ lines }}.credited_revenue,
        over_quota.quota_line,
        sum({{ lines }}.credited_revenue) over (
            partition by {{ lines }}.rep_id, {{ lines }}.month_start
            order by {{ lines }}.order_date, {{ lines }}.order_id, {{ lines }}.line_number
            rows between unbounded preceding and current row
        ) as running_credited_revenue

    from {{ lines }}
    inner join {{ into }}_over_quota_months as over_quota
        on {{ lines }}.rep_id = over_quota.rep_id
        and {{ lines }}.month_start = over_quota.month_start

),

{{ into }}_accelerated as (

    select
        order_id,
        line_number,
        account_role,
        cast(
            greatest(running_credited_revenue - quota_line, 0)
            - greatest(running_credited_revenue - credited_revenue - quota_line, 0)
            as decimal(18, 4)
        ) as accelerated_revenue

    from {{ into }}_running

),

{{ into }}_extra as (

    select
        {{ lines }}.*,
        rep_months.sales_quota,
        rep_months.quota_line,
        coalesce(accelerated.accelerated_revenue, cast(0 as decimal(18, 4)))
            as accelerated_revenue

    from {{ lines }}
    left join {{ into }}_rep_months as rep_months
        on {{ lines }}.rep_id = rep_months.rep_id
        and {{ lines }}.month_start = rep_months.month_start
    left join {{ into }}_accelerated as accelerated
        on {{ lines }}.order_id = accelerated.order_id
        and {{ lines }}.line_number = accelerated.line_number
        and {{ lines }}.account_role = accelerated.account_role

),

{{ into }} as (

    select
        {{ into }}_extra.*,
        case when accelerated_revenue <> 0 then plan_accelerator end as accelerator_applied,
        cast(
            coalesce(round(accelerated_revenue * rate * (plan_accelerator - 1), 2), 0)
            as decimal(18, 2)
        ) as accelerator_commission,
        cast(
            base_commission
            + cast(
                coalesce(round(accelerated_revenue * rate * (plan_accelerator - 1), 2), 0)
                as decimal(18, 2)
            )
            as decimal(18, 2)
        ) as commission_amount

    from {{ into }}_extra

)
{% endmacro %}
