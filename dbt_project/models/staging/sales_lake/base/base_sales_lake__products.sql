-- Every lake row of products, typed, with the first rejection rule it fails (null = valid).
-- Column names stay the contract's so rejected rows can show them as they were loaded.

with

source as {{ not_materialized() }} (

    select * from {{ source('sales_lake', 'products') }}

),

typed as {{ not_materialized() }} (

    select
        -- key
        nullif(trim(cast(sku as {{ dbt.type_string() }})), '') as sku,

        -- descriptive
        nullif(trim(cast(name as {{ dbt.type_string() }})), '') as name,
        nullif(trim(cast(category as {{ dbt.type_string() }})), '') as category,
        lower(nullif(trim(cast(price_band as {{ dbt.type_string() }})), '')) as price_band,

        -- prices
        cast(list_price as decimal(18, 4)) as list_price,
        cast(unit_cost as decimal(18, 4)) as unit_cost,

        -- load
        {{ sales_lake_typed_load_columns() }}

    from source

),

-- Missing required columns; then per key (among complete rows) the latest load wins, then
-- the first row of that load.
{{ sales_lake_rank_by_key('products', 'typed') }},

checked as (

    select
        *,
        case
            {{ sales_lake_key_rules() }}
            when list_price < 0 or unit_cost < 0 then 'negative_price'
            when price_band not in ('high', 'mid', 'low') then 'invalid_value'
        end as rejection_rule

    from ranked

)

select
    sku,
    name,
    category,
    price_band,
    list_price,
    unit_cost,
    load_id,
    source_row,
    loaded_at,
    rejection_rule

from checked
