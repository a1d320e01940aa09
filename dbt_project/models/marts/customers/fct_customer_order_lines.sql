-- The order lines a customer card shows (what the customer buys): every valid order line of
-- the last `card_purchase_months` months before the as-of date, plus the lines of each
-- customer's last order when it is older, with the product's name and category. The card
-- sums them into the category mix and the top SKUs and lists the last order's lines.

with

sales as (

    select * from {{ ref('stg_sales_lake__sales') }}

),

products as (

    select
        sku,
        product_name,
        category

    from {{ ref('stg_sales_lake__products') }}

),

last_orders as (

    -- the customer's last order: the latest order date, then the highest order id that day
    select
        customer_id,
        order_id

    from (
        select
            customer_id,
            order_id,
            row_number() over (
                partition by customer_id order by order_date desc, order_id desc
            ) as order_rank
        from sales
        where order_date <= {{ as_of_date() }}
    ) as ranked
    where order_rank = 1

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
