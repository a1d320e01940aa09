-- Reconciliation of the commission lines with the staged order lines, priced independently
-- from the plan: every order line has commission lines; their credited revenue adds up to the
-- order line's revenue exactly; their base commission adds up to the order line's revenue x
-- the rate of its band in the plan version of its month, rounded to the cent, exactly. So the
-- totals reconcile too. Returns the order lines that do not.

{%- set order_month = "cast(" ~ dbt.date_trunc('month', 'sales.order_date') ~ " as date)" %}

with

sales as (

    select * from {{ ref('stg_sales_lake__sales') }}

),

expected as (

    select
        sales.order_id,
        sales.line_number,
        sales.revenue,
        cast(round(sales.revenue * plan.rate, 2) as decimal(18, 2)) as commission_at_rate

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
        sum(base_commission) as base_commission

    from {{ ref('fct_commission_lines') }}
    group by order_id, line_number

),

compared as (

    select
        coalesce(expected.order_id, credited.order_id) as order_id,
        coalesce(expected.line_number, credited.line_number) as line_number,
        expected.revenue,
        credited.credited_revenue,
        expected.commission_at_rate,
        credited.base_commission

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
