-- Commission lines (SPEC 9): one row per order line and credited rep, with the plan, the share,
-- the rate, the credited revenue (the commission base) and the commission; the credit rules
-- are in int_commission_credits.
--   Accelerator: a rep's credited revenue of a month above quota_threshold x the rep's sales
--   quota earns rate x accelerator instead of the rate. Lines are taken in booking order
--   (order date, order, line); each line's accelerated revenue is how far it moves the rep's
--   running total beyond the quota line (a return that brings it back is negative), so the
--   month's accelerated revenue is exactly max(0, credited revenue - quota line). Months that
--   end at or under the quota line, reps without a quota and house accounts get none.
--   No plan: a line without a plan version (no_commission_reason 'no_plan') has no rate and
--   no accelerator; its commission is 0.
--   Money: base_commission comes rounded from int_commission_credits; the accelerator's
--   extra, accelerated revenue x rate x (accelerator - 1), is rounded once per line to the
--   cent; the line's commission is their sum, so statements add up to their lines exactly.

with

-- read three times: scanning the table again is cheaper than a copy of every column
credits as {{ not_materialized() }} (

    select * from {{ ref('int_commission_credits') }}

),

quotas as (

    select
        rep_id,
        quota_month,
        sales_quota

    from {{ ref('stg_sales_lake__quotas') }}

),

-- One row per rep and month with a quota (house accounts have none): the quota line and
-- whether the month ends above it.
rep_months as (

    select
        credits.rep_id,
        credits.month_start,
        max(quotas.sales_quota) as sales_quota,
        max(cast(quotas.sales_quota * credits.plan_quota_threshold as decimal(18, 2)))
            as quota_line,
        max(credits.plan_accelerator) as plan_accelerator,
        sum(credits.credited_revenue) as month_credited_revenue

    from credits
    inner join quotas
        on credits.rep_id = quotas.rep_id
        and credits.month_start = quotas.quota_month
    where not credits.is_house
    group by credits.rep_id, credits.month_start

),

over_quota_months as (

    select
        rep_id,
        month_start,
        quota_line

    from rep_months
    where plan_accelerator > 1
        and month_credited_revenue > quota_line

),

-- The running total only over the lines of months that end above the quota line (narrow).
running as (

    select
        credits.order_id,
        credits.line_number,
        credits.account_role,
        credits.credited_revenue,
        over_quota_months.quota_line,
        sum(credits.credited_revenue) over (
            partition by credits.rep_id, credits.month_start
            order by credits.order_date, credits.order_id, credits.line_number
            rows between unbounded preceding and current row
        ) as running_credited_revenue

    from credits
    inner join over_quota_months
        on credits.rep_id = over_quota_months.rep_id
        and credits.month_start = over_quota_months.month_start

),

accelerated as (

    select
        order_id,
        line_number,
        account_role,
        cast(
            greatest(running_credited_revenue - quota_line, 0)
            - greatest(running_credited_revenue - credited_revenue - quota_line, 0)
            as decimal(18, 4)
        ) as accelerated_revenue

    from running

),

lines as (

    select
        credits.*,
        rep_months.sales_quota,
        rep_months.quota_line,
        coalesce(accelerated.accelerated_revenue, cast(0 as decimal(18, 4)))
            as accelerated_revenue

    from credits
    left join rep_months
        on credits.rep_id = rep_months.rep_id
        and credits.month_start = rep_months.month_start
    left join accelerated
        on credits.order_id = accelerated.order_id
        and credits.line_number = accelerated.line_number
        and credits.account_role = accelerated.account_role

),

final as (

    select
        -- keys
        order_id,
        line_number,
        account_role,

        -- the credited rep
        rep_id,
        rep_name,
        region,
        manager_rep_id,
        credit_role,
        is_house,
        house_reason,
        account_rep_id,

        -- the order line
        month_start,
        order_date,
        customer_id,
        customer_name,
        customer_region,
        sku,
        product_name,
        price_band,
        order_rep_id,
        quantity,
        order_revenue,
        is_return,

        -- the account rule
        is_group_purchase,
        is_split_account,
        is_first_order_month,

        -- the plan and the money
        no_commission_reason,
        plan_version,
        plan_developer_share,
        plan_first_order_developer_share,
        plan_accelerator,
        plan_quota_threshold,
        share,
        rate,
        credited_revenue,
        base_commission,
        sales_quota,
        quota_line,
        case when accelerated_revenue <> 0 then plan_accelerator end as accelerator_applied,
        accelerated_revenue,
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

    from lines

)

select * from final
