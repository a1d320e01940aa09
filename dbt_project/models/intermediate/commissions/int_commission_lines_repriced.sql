-- The commission what-if (SPEC 9, models/queries/commissions.py): the commission lines of a period
-- re-priced under an edited plan, by the same macros as int_commission_credits and
-- fct_commission_lines (macros/commissions/price_commission_lines.sql), so an unchanged plan
-- gives the same cents and a rule change reaches the build and the what-if alike.
--   Ephemeral and read by no model: dbt compiles it with every build (its compiled SQL is in
--   the build's manifest) and never runs it; the what-if runs that SQL in an in-memory DuckDB
--   database over three relations it registers:
--     whatif_lines   lines of fct_commission_lines (models.commissions.WHATIF_COLUMNS), whole
--                    rep-months, lines without a plan (no_plan) left out
--     whatif_rates   price_band, rate: the edited rates (a band not listed keeps its rate)
--     whatif_plan    one row: developer_share, first_order_developer_share, accelerator,
--                    quota_threshold
--   One row per line: its actual figures and the what-if's (whatif_*).

{{ config(materialized='ephemeral') }}

with

plan_rates as (

    select
        price_band,
        cast(rate as decimal(9, 4)) as rate

    from whatif_rates

),

plan as (

    select
        cast(developer_share as decimal(9, 4)) as developer_share,
        cast(first_order_developer_share as decimal(9, 4)) as first_order_developer_share,
        cast(accelerator as decimal(9, 4)) as accelerator,
        cast(quota_threshold as decimal(9, 4)) as quota_threshold

    from whatif_plan

),

-- The lines as int_commission_credits hands them to the pricing, under the edited plan (the
-- actual figures kept aside as actual_*). Every line here has a plan, so a split account's
-- line is a split line.
lines as (

    select
        -- keys and what the pricing reads
        actual.order_id,
        actual.line_number,
        actual.account_role,
        actual.rep_id,
        actual.rep_name,
        actual.region,
        actual.is_house,
        actual.month_start,
        actual.order_date,
        actual.price_band,
        actual.order_revenue,
        actual.is_split_account,
        actual.is_split_account as is_split_line,
        actual.is_first_order_month,

        -- the edited plan
        coalesce(plan_rates.rate, actual.rate) as rate,
        plan.developer_share as plan_developer_share,
        plan.first_order_developer_share as plan_first_order_developer_share,
        plan.accelerator as plan_accelerator,
        plan.quota_threshold as plan_quota_threshold,

        -- the actual figures
        actual.share as actual_share,
        actual.rate as actual_rate,
        actual.credited_revenue as actual_credited_revenue,
        actual.base_commission as actual_base_commission,
        actual.sales_quota as actual_sales_quota,
        actual.accelerated_revenue as actual_accelerated_revenue,
        actual.accelerator_commission as actual_accelerator_commission,
        actual.commission_amount as actual_commission_amount

    from whatif_lines as actual
    cross join plan
    left join plan_rates
        on actual.price_band = plan_rates.price_band

),

-- the quotas of the reps in the lines (what fct_commission_lines joined)
quotas as (

    select distinct
        rep_id,
        month_start as quota_month,
        actual_sales_quota as sales_quota

    from lines
    where actual_sales_quota is not null

),

{{ price_commission_credits('lines', 'credited') }},

{{ price_commission_accelerator('credited', 'quotas', 'repriced') }},

-- the actual figures beside the what-if's
compared as (

    select
        -- the rep
        region,
        rep_id,
        rep_name,
        is_house,

        -- the credit line (key: order_id, line_number, account_role)
        order_id,
        line_number,
        account_role,
        month_start,
        order_date,
        price_band,
        order_revenue,
        is_split_account,
        is_first_order_month,
        sales_quota,

        -- actual
        actual_share as share,
        actual_rate as rate,
        actual_credited_revenue as credited_revenue,
        actual_base_commission as base_commission,
        actual_accelerated_revenue as accelerated_revenue,
        actual_accelerator_commission as accelerator_commission,
        actual_commission_amount as commission_amount,

        -- what-if
        share as whatif_share,
        rate as whatif_rate,
        credited_revenue as whatif_credited_revenue,
        base_commission as whatif_base_commission,
        quota_line as whatif_quota_line,
        accelerated_revenue as whatif_accelerated_revenue,
        accelerator_commission as whatif_accelerator_commission,
        commission_amount as whatif_commission

    from repriced

)

select * from compared
