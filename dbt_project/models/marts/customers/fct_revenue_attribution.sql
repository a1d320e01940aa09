-- Revenue attribution: one row per month, customer, the assignment in force when the orders
-- were booked, and the rep who took them. It answers "whose revenue was it" both ways:
--   as booked: by the customer's maintainer and region in force on each order date
--   (int_customer_assignments), so a customer moved mid-year counts for its old rep and
--   region before the move and for the new ones after;
--   current book: by the customer's maintainer and region today (the latest customers file),
--   every month included: what the customers someone looks after now bought;
--   taken by: the rep on the order line itself (sales.rep_id; null when the export has none).
-- Money stays unrounded (the order lines' 4 places), so any grouping totals the order lines to
-- the cent (tested); pages round once.

{%- set order_month = "cast(" ~ dbt.date_trunc('month', 'sales.order_date') ~ " as date)" %}

with

sales as (

    select
        order_id,
        line_number,
        order_date,
        customer_id,
        sku,
        rep_id,
        quantity,
        revenue

    from {{ ref('stg_sales_lake__sales') }}

),

products as (

    select
        sku,
        unit_cost

    from {{ ref('stg_sales_lake__products') }}

),

assignments as (

    select
        customer_id,
        assignment_number,
        valid_from,
        valid_to,
        maintainer_rep_id,
        region

    from {{ ref('int_customer_assignments') }}

),

customers as (

    select
        customer_id,
        maintainer_rep_id,
        region

    from {{ ref('stg_sales_lake__customers') }}

),

booked as (

    select
        {{ order_month }} as month_start,
        sales.customer_id,
        assignments.assignment_number,
        assignments.region as booked_region,
        assignments.maintainer_rep_id as booked_maintainer_rep_id,
        sales.rep_id as order_rep_id,
        sales.revenue,
        sales.revenue - sales.quantity * coalesce(products.unit_cost, 0) as gross_profit

    from sales
    inner join assignments
        on sales.customer_id = assignments.customer_id
        and {{ in_force_on('assignments', 'sales.order_date') }}
    left join products
        on sales.sku = products.sku

),

grouped as (

    select
        month_start,
        customer_id,
        assignment_number,
        booked_region,
        booked_maintainer_rep_id,
        order_rep_id,
        cast(sum(revenue) as decimal(18, 4)) as revenue,
        cast(sum(gross_profit) as decimal(18, 4)) as gross_profit,
        count(*) as order_line_count

    from booked
    group by
        month_start,
        customer_id,
        assignment_number,
        booked_region,
        booked_maintainer_rep_id,
        order_rep_id

),

final as (

    select
        -- keys
        grouped.month_start,
        grouped.customer_id,
        grouped.assignment_number,
        grouped.order_rep_id,

        -- as booked (the assignment in force on the order dates)
        grouped.booked_region,
        grouped.booked_maintainer_rep_id,

        -- current book (the customer's assignment today)
        customers.region as current_region,
        customers.maintainer_rep_id as current_maintainer_rep_id,

        -- money (unrounded, 4 places)
        grouped.revenue,
        grouped.gross_profit,
        cast(grouped.order_line_count as {{ dbt.type_bigint() }}) as order_line_count

    from grouped
    inner join customers
        on grouped.customer_id = customers.customer_id

)

select * from final
