-- Valid products (one row per sku), with business names.

with

checked as (

    select * from {{ ref('base_sales_lake__products') }}
    where rejection_rule is null

),

renamed as (

    select
        -- ids
        sku,

        -- descriptive
        name as product_name,
        category,
        price_band,

        -- prices
        list_price,
        unit_cost,

        -- load
        load_id,
        source_row,
        loaded_at

    from checked

)

select * from renamed
