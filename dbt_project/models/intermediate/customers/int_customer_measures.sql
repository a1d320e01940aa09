-- One row per customer of the as-of month (every customer with an order or a visit so far):
-- the raw measures behind the evaluation score, the priority matrix and the potential
-- checklist, as of the as-of date. "12 months" = the as-of month and the 11 before it;
-- "3 months" = the as-of month and the 2 before it. int_customer_scores turns these into
-- percentiles, so its unit tests start from hand-made rows of this table.

{%- set as_of_month = "cast(" ~ dbt.date_trunc('month', as_of_date()) ~ " as date)" %}
{%- set start_12 = "cast(" ~ dbt.dateadd('month', -11, as_of_month) ~ " as date)" %}
{%- set start_3 = "cast(" ~ dbt.dateadd('month', -2, as_of_month) ~ " as date)" %}
{%- set window_months = var('tier_window_months') | int %}
{%- set start_tier_window = "cast(" ~ dbt.dateadd('month', 1 - window_months, as_of_month) ~ " as date)" %}

with

current_month as (

    select
        customer_id,
        month_start,
        region,
        channel,
        tier,
        lifecycle_stage,
        trailing_3_revenue,
        previous_3_revenue,
        trailing_3_growth

    from {{ ref('int_customer_lifecycle') }}
    where is_as_of_month

),

customers as (

    select
        customer_id,
        credit_limit,
        payment_terms_days

    from {{ ref('stg_sales_lake__customers') }}

),

months_12 as (

    select
        customer_id,
        sum(revenue) as revenue_12m,
        sum(gross_profit) as gross_profit_12m,
        sum(return_revenue) as return_revenue_12m,
        sum(order_count) as order_count_12m,
        sum(case when has_order then 1 else 0 end) as months_with_orders_12m,
        sum(onsite_visits + phone_visits) as visits_12m,
        sum(complaint_visits) as complaint_visits_12m,
        sum(case when month_start >= {{ start_tier_window }} then revenue else 0 end)
            as tier_window_revenue,
        sum(case when month_start >= {{ start_3 }} then revenue else 0 end) as revenue_3m,
        sum(case when month_start >= {{ start_3 }} then gross_profit else 0 end)
            as gross_profit_3m,
        sum(case when month_start >= {{ start_3 }} then onsite_visits else 0 end)
            as onsite_visits_3m,
        sum(case when month_start >= {{ start_3 }} then phone_visits else 0 end)
            as phone_visits_3m,
        sum(case when month_start >= {{ start_3 }} and has_order then 1 else 0 end)
            as months_with_orders_3m

    from {{ ref('int_customer_activity_months') }}
    where month_start >= {{ start_12 }}
    group by customer_id

),

order_gaps_12 as (

    select
        customer_id,
        -- exact integer count, sum and sum of squares, never stddev_samp over doubles (its
        -- parallel merge differs in the last bit from one build to the next)
        count(order_gap_days) as order_gaps,
        sum(cast(order_gap_days as {{ dbt.type_bigint() }})) as order_gap_days_sum,
        sum(
            cast(order_gap_days as {{ dbt.type_bigint() }})
            * cast(order_gap_days as {{ dbt.type_bigint() }})
        ) as order_gap_days_squares

    from {{ ref('int_customer_order_days') }}
    where
        order_date >= {{ start_12 }}
        and order_gap_days is not null
    group by customer_id

),

visits_12 as (

    select
        customer_id,
        count(case when outcome = 'order' then 1 end) as order_visits_12m,
        sum(
            case
                when {{ dbt.datediff('visit_date', as_of_date(), 'day') }}
                    < {{ var('service_need_days') }}
                    then coalesce(duration_min, 0)
                else 0
            end
        ) as service_need_minutes

    from {{ ref('int_visits_located') }}
    where visit_date >= {{ start_12 }}
    group by customer_id

),

-- whether any visit is loaded at all: without visits, service need is unknown, not zero
visit_data as (

    select count(*) > 0 as has_visit_data
    from {{ ref('int_visits_located') }}

),

-- the level recorded at the latest visit that recorded one (max_by: DuckDB and Spark)
relationship as (

    select
        customer_id,
        max_by(relationship_level, started_at) as latest_relationship_level

    from {{ ref('int_visits_located') }}
    where relationship_level is not null
    group by customer_id

),

products as (

    select
        sku,
        category,
        price_band

    from {{ ref('stg_sales_lake__products') }}

),

product_sales_12 as (

    select
        sales.customer_id,
        products.category,
        products.price_band,
        sum(sales.revenue) as revenue

    from {{ ref('stg_sales_lake__sales') }} as sales
    inner join products
        on sales.sku = products.sku
    where
        sales.order_date >= {{ start_12 }}
        and sales.quantity > 0
    group by sales.customer_id, products.category, products.price_band

),

band_ranked as (

    select
        price_band,
        row_number() over (order by sum(revenue) desc, price_band) as band_rank

    from product_sales_12
    where price_band is not null
    group by price_band

),

core_band as (

    select price_band as core_price_band
    from band_ranked
    where band_rank = 1

),

customer_products_12 as (

    select
        product_sales_12.customer_id,
        count(distinct product_sales_12.category) as categories_12m,
        max(
            case when product_sales_12.price_band = core_band.core_price_band then 1 else 0 end
        ) as buys_core_band

    from product_sales_12
    cross join core_band
    group by product_sales_12.customer_id

),

final as (

    select
        -- keys
        current_month.customer_id,
        current_month.month_start,

        -- who
        current_month.region,
        current_month.channel,
        current_month.tier,
        current_month.lifecycle_stage,

        -- sales contribution
        -- the window's revenue to the cent first, then divided: DuckDB divides decimals in
        -- double precision, Spark exactly, and only a whole number of cents keeps the two
        -- from rounding a half cent differently
        cast(
            cast(coalesce(months_12.tier_window_revenue, 0) as decimal(18, 2))
            / {{ window_months }} as decimal(18, 2)
        ) as avg_monthly_revenue,
        cast(coalesce(months_12.revenue_12m, 0) as decimal(18, 4)) as revenue_12m,

        -- profit contribution (3 months)
        cast(coalesce(months_12.revenue_3m, 0) as decimal(18, 4)) as revenue_3m,
        cast(coalesce(months_12.gross_profit_3m, 0) as decimal(18, 4)) as gross_profit_3m,
        cast(
            coalesce(months_12.onsite_visits_3m, 0) * {{ var('cost_per_onsite_visit') }}
            + coalesce(months_12.phone_visits_3m, 0) * {{ var('cost_per_phone_visit') }}
            as decimal(18, 2)
        ) as cost_to_serve_3m,

        -- growth (trailing 3 months vs the 3 before)
        current_month.trailing_3_revenue,
        current_month.previous_3_revenue,
        current_month.trailing_3_growth,

        -- loyalty
        coalesce(months_12.months_with_orders_12m, 0) as months_with_orders_12m,
        coalesce(months_12.months_with_orders_3m, 0) as months_with_orders_3m,
        cast(
            -- sample standard deviation / mean = sqrt(var) * n / sum, where
            -- var = (n * squares - sum^2) / (n * (n - 1)), the integers exact
            sqrt(
                cast(
                    order_gaps_12.order_gaps * order_gaps_12.order_gap_days_squares
                    - order_gaps_12.order_gap_days_sum * order_gaps_12.order_gap_days_sum
                    as double
                )
                / cast(
                    nullif(order_gaps_12.order_gaps * (order_gaps_12.order_gaps - 1), 0)
                    as double
                )
            )
            * cast(order_gaps_12.order_gaps as double)
            / cast(nullif(order_gaps_12.order_gap_days_sum, 0) as double)
            as decimal(9, 4)
        ) as order_gap_variation,

        -- cooperation and cost
        coalesce(months_12.order_count_12m, 0) as order_count_12m,
        coalesce(months_12.visits_12m, 0) as visits_12m,
        coalesce(visits_12.order_visits_12m, 0) as order_visits_12m,
        cast(coalesce(months_12.return_revenue_12m, 0) as decimal(18, 4)) as return_revenue_12m,
        coalesce(months_12.complaint_visits_12m, 0) as complaint_visits_12m,

        -- service need (empty while no visit at all is loaded: no data, not zero need)
        visit_data.has_visit_data,
        case
            when visit_data.has_visit_data
                then cast(coalesce(visits_12.service_need_minutes, 0) / 60.0 as decimal(9, 2))
        end as service_need_hours,

        -- potential checklist inputs
        customers.credit_limit,
        customers.payment_terms_days,
        coalesce(customer_products_12.categories_12m, 0) as categories_12m,
        coalesce(customer_products_12.buys_core_band, 0) = 1 as buys_core_band,
        relationship.latest_relationship_level

    from current_month
    left join customers
        on current_month.customer_id = customers.customer_id
    left join months_12
        on current_month.customer_id = months_12.customer_id
    left join order_gaps_12
        on current_month.customer_id = order_gaps_12.customer_id
    left join visits_12
        on current_month.customer_id = visits_12.customer_id
    left join relationship
        on current_month.customer_id = relationship.customer_id
    left join customer_products_12
        on current_month.customer_id = customer_products_12.customer_id
    cross join visit_data

)

select * from final
