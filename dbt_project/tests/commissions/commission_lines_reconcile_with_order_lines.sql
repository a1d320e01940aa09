-- Reconciliation of the commission lines with the staged order lines, priced independently
-- from the plan: every order line has commission lines; their credited revenue adds up to the
-- order line's revenue exactly; their base commission adds up to the order line's revenue x
-- the rate of its band in the plan version of its month, rounded to the cent, exactly. So the
-- totals reconcile too. A line of a month no plan version covers has commission 0 and every one
-- of its commission lines says no_plan; a line with a plan has no no_plan line. Returns the
-- order lines that do not. An incremental build checks the months it recomputed (the others
-- were checked by the build that wrote them).

{%- set order_month = "cast(" ~ dbt.date_trunc('month', 'sales.order_date') ~ " as date)" %}

with

sales as (

    select * from {{ ref('stg_sales_lake__sales') }}
    where {{ in_build_changed_months(month_of('order_date')) }}

),

expected as (

    select
        sales.order_id,
        sales.line_number,
        sales.revenue,
        plan.plan_version is null as has_no_plan,
        cast(coalesce(round(sales.revenue * plan.rate, 2), 0) as decimal(18, 2))
            as commission_at_rate

    from sales
    inner join {{ ref('stg_sales_lake__products') }} as products
        on sales.sku = products.sku
    left join {{ ref('commission_plan') }} as plan
        on coalesce(products.price_band, 'unbanded') = plan.price_band
        and {{ order_month }} >= plan.valid_from
        and (plan.valid_to is null or {{ order_month }} <= plan.valid_to)

),

credited as (

    select
        order_id,
        line_number,
        count(*) as commission_lines,
        sum(credited_revenue) as credited_revenue,
        sum(base_commission) as base_commission,
        sum(commission_amount) as commission_amount,
        min(case when no_commission_reason = 'no_plan' then 1 else 0 end) as all_no_plan,
        max(case when no_commission_reason = 'no_plan' then 1 else 0 end) as any_no_plan

    from {{ ref('fct_commission_lines') }}
    where {{ in_build_changed_months('month_start') }}
    group by order_id, line_number

),

compared as (

    select
        coalesce(expected.order_id, credited.order_id) as order_id,
        coalesce(expected.line_number, credited.line_number) as line_number,
        expected.revenue,
        credited.credited_revenue,
        expected.commission_at_rate,
        credited.base_commission,
        expected.has_no_plan,
        credited.commission_amount,
        credited.all_no_plan,
        credited.any_no_plan

    from expected
    full outer join credited
        on expected.order_id = credited.order_id
        and expected.line_number = credited.line_number

)

select * from compared
where revenue is null
    or credited_revenue is null
    or commission_at_rate is null
    or credited_revenue <> revenue
    or base_commission <> commission_at_rate
    or (has_no_plan and (all_no_plan <> 1 or commission_amount <> 0))
    or (not has_no_plan and any_no_plan <> 0)
