-- Customer growth (SPEC 5): one row per customer and month (the rows of int_customer_months).
-- Months before the customer's first month count as 0 (the spine has no rows there, so a
-- window over it sums nothing). Every ratio is null when its denominator is 0.
-- Growth contribution = the customer's change of trailing-3 revenue (last 3 months vs the 3
-- before) / the change of all customers together that month: it adds up to 1 per month.

with

customer_months as (

    select
        customer_id,
        month_start,
        region,
        revenue

    from {{ ref('int_customer_months') }}

),

windowed as (

    select
        customer_id,
        month_start,
        region,
        revenue,
        coalesce(
            lag(revenue, 1) over (partition by customer_id order by month_start), 0
        ) as previous_month_revenue,
        coalesce(
            lag(revenue, 12) over (partition by customer_id order by month_start), 0
        ) as same_month_last_year_revenue,
        sum(revenue) over (
            partition by customer_id order by month_start
            rows between 2 preceding and current row
        ) as trailing_3_revenue,
        coalesce(
            sum(revenue) over (
                partition by customer_id order by month_start
                rows between 5 preceding and 3 preceding
            ),
            0
        ) as previous_3_revenue,
        sum(revenue) over (
            partition by customer_id order by month_start
            rows between 11 preceding and current row
        ) as trailing_12_revenue,
        coalesce(
            sum(revenue) over (
                partition by customer_id order by month_start
                rows between 23 preceding and 12 preceding
            ),
            0
        ) as previous_12_revenue

    from customer_months

),

company as (

    select
        *,
        trailing_3_revenue - previous_3_revenue as trailing_3_change,
        sum(trailing_3_revenue - previous_3_revenue) over (partition by month_start)
            as company_trailing_3_change,
        sum(trailing_3_revenue) over (partition by month_start) as company_trailing_3_revenue,
        sum(previous_3_revenue) over (partition by month_start) as company_previous_3_revenue

    from windowed

),

growth as (

    select
        -- keys
        customer_id,
        month_start,
        region,

        -- month over month
        revenue,
        cast(previous_month_revenue as decimal(18, 2)) as previous_month_revenue,
        {{ ratio_growth('revenue', 'previous_month_revenue') }} as mom_growth,

        -- trailing 3 months vs the 3 before
        cast(trailing_3_revenue as decimal(18, 2)) as trailing_3_revenue,
        cast(previous_3_revenue as decimal(18, 2)) as previous_3_revenue,
        {{ ratio_growth('trailing_3_revenue', 'previous_3_revenue') }} as trailing_3_growth,
        cast(trailing_3_change as decimal(18, 2)) as trailing_3_change,

        -- year over year
        cast(same_month_last_year_revenue as decimal(18, 2)) as same_month_last_year_revenue,
        {{ ratio_growth('revenue', 'same_month_last_year_revenue') }} as yoy_growth,
        cast(trailing_12_revenue as decimal(18, 2)) as trailing_12_revenue,
        cast(previous_12_revenue as decimal(18, 2)) as previous_12_revenue,
        {{ ratio_growth('trailing_12_revenue', 'previous_12_revenue') }} as trailing_12_growth,

        -- against the company
        cast(trailing_3_change as double)
            / cast(nullif(company_trailing_3_change, 0) as double) as growth_contribution,
        {{ ratio_growth('company_trailing_3_revenue', 'company_previous_3_revenue') }}
            as company_trailing_3_growth

    from company

),

final as (

    select
        *,
        trailing_3_growth > company_trailing_3_growth as is_above_company_rate

    from growth

)

select * from final
