-- Commission lines (SPEC 9): one row per order line and credited rep, with the plan, the share,
-- the rate, the credited revenue (the commission base) and the commission; the credit rules
-- are in int_commission_credits.
--   Accelerator: a rep's credited revenue of a month above quota_threshold x the rep's sales
--   quota earns rate x accelerator instead of the rate, on the revenue past the quota line in
--   booking order; the rule, the arithmetic and the rounding are the macro
--   price_commission_accelerator (macros/commissions/price_commission_lines.sql), which the
--   commission what-if runs too.
--   No plan: a line without a plan version (no_commission_reason 'no_plan') has no rate and
--   no accelerator; its commission is 0.
--   Money: base_commission comes rounded from int_commission_credits; the accelerator's extra
--   is rounded once per line to the cent; the line's commission is their sum, so statements
--   add up to their lines exactly.
--   Incremental by month on DuckDB (macros/build/changed_months.sql): the accelerator runs
--   within a rep's month, so a build recomputes the months whose credit lines changed. The
--   SQL page's copy of the marts replaces the same months (meta changed_months_column).

{{ config(
    materialized=by_month_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed_months('month_start') }}",
    meta={'changed_months_column': 'month_start'}
) }}

with

-- read three times: scanning the table again is cheaper than a copy of every column
credits as {{ not_materialized() }} (

    select * from {{ ref('int_commission_credits') }}
    where {{ in_changed_months('month_start') }}

),

quotas as (

    select
        rep_id,
        quota_month,
        sales_quota

    from {{ ref('stg_sales_lake__quotas') }}

),

-- the accelerator and the commission (macros/commissions/price_commission_lines.sql)
{{ price_commission_accelerator('credits', 'quotas', 'lines') }},

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
        accelerator_applied,
        accelerated_revenue,
        accelerator_commission,
        commission_amount

    from lines

)

select * from final
