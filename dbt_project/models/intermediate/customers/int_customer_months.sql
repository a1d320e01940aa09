-- The customer-month spine: one row per customer and calendar month, from the customer's first
-- activity month (first order or first visit, whichever is earlier) to the as-of month,
-- zero-filled. Sales and visits are aggregated to customer-month here, once; the customer marts
-- read this table and never the order lines. Customer attributes are the current ones.

with

customers as (

    select
        customer_id,
        region,
        channel,
        maintainer_rep_id,
        developer_rep_id,
        is_key_account,
        is_group_purchase

    from {{ ref('stg_sales_lake__customers') }}

),

products as (

    select
        sku,
        unit_cost

    from {{ ref('stg_sales_lake__products') }}

),

months as (

    select month_start from {{ ref('int_months') }}

),

sales_lines as (

    select
        sales.customer_id,
        cast({{ dbt.date_trunc('month', 'sales.order_date') }} as date) as month_start,
        sales.order_id,
        sales.quantity,
        sales.revenue,
        sales.quantity * coalesce(products.unit_cost, 0) as cost_of_goods,
        sales.is_return

    from {{ ref('stg_sales_lake__sales') }} as sales
    left join products
        on sales.sku = products.sku

),

sales_monthly as (

    select
        customer_id,
        month_start,
        sum(revenue) as revenue,
        sum(cost_of_goods) as cost_of_goods,
        sum(quantity) as quantity,
        count(distinct case when quantity > 0 then order_id end) as order_count,
        count(*) as order_line_count,
        sum(case when is_return then -revenue else 0 end) as return_revenue,
        count(case when is_return then 1 end) as return_line_count

    from sales_lines
    group by customer_id, month_start

),

visits_monthly as (

    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'visit_date') }} as date) as month_start,
        count(case when visit_type = 'onsite' then 1 end) as onsite_visits,
        count(case when visit_type = 'phone' then 1 end) as phone_visits,
        cast(coalesce(sum(duration_min), 0) as bigint) as visit_minutes,
        count(case when outcome = 'complaint' then 1 end) as complaint_visits

    from {{ ref('stg_sales_lake__visits') }}
    group by customer_id, {{ dbt.date_trunc('month', 'visit_date') }}

),

activity_months as (

    select customer_id, month_start from sales_monthly
    union all
    select customer_id, month_start from visits_monthly

),

first_months as (

    select
        customer_id,
        min(month_start) as first_month

    from activity_months
    group by customer_id

),

spine as (

    select
        first_months.customer_id,
        first_months.first_month,
        months.month_start

    from first_months
    inner join months
        on months.month_start >= first_months.first_month

),

final as (

    select
        -- keys
        spine.customer_id,
        spine.month_start,

        -- current customer attributes
        customers.region,
        customers.channel,
        customers.maintainer_rep_id,
        customers.developer_rep_id,
        customers.is_key_account,
        customers.is_group_purchase,

        -- sales (returns included). Money stays unrounded (the order lines' 4 places): a sum of
        -- customer-months then equals the order lines' total exactly, and pages round once.
        cast(coalesce(sales_monthly.revenue, 0) as decimal(18, 4)) as revenue,
        cast(
            coalesce(sales_monthly.revenue - sales_monthly.cost_of_goods, 0) as decimal(18, 4)
        ) as gross_profit,
        cast(coalesce(sales_monthly.quantity, 0) as decimal(18, 3)) as quantity,
        coalesce(sales_monthly.order_count, 0) as order_count,
        coalesce(sales_monthly.order_line_count, 0) as order_line_count,
        cast(coalesce(sales_monthly.return_revenue, 0) as decimal(18, 4)) as return_revenue,
        coalesce(sales_monthly.return_line_count, 0) as return_line_count,

        -- visits
        coalesce(visits_monthly.onsite_visits, 0) as onsite_visits,
        coalesce(visits_monthly.phone_visits, 0) as phone_visits,
        coalesce(visits_monthly.visit_minutes, 0) as visit_minutes,
        coalesce(visits_monthly.complaint_visits, 0) as complaint_visits,

        -- flags and position
        coalesce(sales_monthly.order_count, 0) > 0 as has_order,
        cast(
            {{ dbt.datediff('spine.first_month', 'spine.month_start', 'month') }}
            as {{ dbt.type_int() }}
        ) as months_since_first

    from spine
    inner join customers
        on spine.customer_id = customers.customer_id
    left join sales_monthly
        on spine.customer_id = sales_monthly.customer_id
        and spine.month_start = sales_monthly.month_start
    left join visits_monthly
        on spine.customer_id = visits_monthly.customer_id
        and spine.month_start = visits_monthly.month_start

)

select * from final
