-- The order lines a customer card shows (what the customer buys): every valid order line of
-- the last `card_purchase_months` months before the as-of date, plus the lines of each
-- customer's last order when it is older, with the product's name and category. The card
-- sums them into the category mix and the top SKUs and lists the last order's lines.

with

sales as {{ not_materialized() }} (

    select * from {{ ref('stg_sales_lake__sales') }}

),

products as (

    select
        sku,
        product_name,
        category

    from {{ ref('stg_sales_lake__products') }}

),

-- the customer's last order: the latest order date, then the highest order id that day (two
-- aggregations rather than a window sorted over every order line)
last_order_dates as (

    select
        customer_id,
        max(order_date) as last_order_date

    from sales
    where order_date <= {{ as_of_date() }}
    group by customer_id

),

last_orders as (

    select
        sales.customer_id,
        max(sales.order_id) as order_id

    from sales
    inner join last_order_dates
        on sales.customer_id = last_order_dates.customer_id
        and sales.order_date = last_order_dates.last_order_date
    group by sales.customer_id

),

window_start as (

    select
        cast(
            {{ dbt.dateadd('month', -1 * var('card_purchase_months'), as_of_date()) }} as date
        ) as first_date

),

final as (

    select
        -- keys
        sales.order_id,
        sales.line_number,
        sales.customer_id,

        -- what
        sales.sku,
        coalesce(products.product_name, sales.sku) as product_name,
        coalesce(products.category, 'other') as category,
        sales.order_date,
        sales.quantity,
        sales.revenue,
        sales.is_return,

        -- which view of the card
        sales.order_date > window_start.first_date as is_in_purchase_window,
        last_orders.order_id is not null as is_last_order,
        {{ as_of_date() }} as as_of_date

    from sales
    cross join window_start
    left join products
        on sales.sku = products.sku
    left join last_orders
        on sales.customer_id = last_orders.customer_id
        and sales.order_id = last_orders.order_id
    where sales.order_date <= {{ as_of_date() }}
        and (
            sales.order_date > window_start.first_date
            or last_orders.order_id is not null
        )

)

select * from final
