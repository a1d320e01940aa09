-- Valid order lines (one row per order_id and line_number), with revenue.
-- revenue = quantity x unit_price x (1 - discount_rate); a negative quantity is a return.
-- When the export states the line amount (line_amount, before discount), revenue is
-- line_amount x (1 - discount_rate): the export's own figure, not one rebuilt from a unit price
-- that ingest derived from it and rounded to 4 places.

-- Incremental by order month on DuckDB (macros/build/changed_months.sql).

{{ config(
    materialized=by_month_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed_months(month_of('order_date')) }}"
) }}

with

checked as (

    select * from {{ ref('base_sales_lake__sales') }}
    where rejection_rule is null
        and {{ in_changed_months(month_of('order_date')) }}

),

renamed as (

    select
        -- ids
        order_id,
        line_number,
        customer_id,
        sku,
        rep_id,

        -- dates
        order_date,

        -- amounts
        quantity,
        unit_price,
        cast(coalesce(discount_rate, 0) as decimal(9, 6)) as discount_rate,
        -- Exact decimal arithmetic, rounded once to 4 places. The product's scale is 13; up to
        -- 90,000 it fits the fast 18-digit path, larger lines take the 38-digit one (20 times
        -- slower on DuckDB, so not for every line).
        case
            when line_amount is not null
                then cast(line_amount * (1 - coalesce(discount_rate, 0)) as decimal(18, 4))
            when abs(quantity * unit_price) < 90000
                then cast(
                    quantity * unit_price * (1 - coalesce(discount_rate, 0)) as decimal(18, 4)
                )
            else cast(
                cast(quantity as decimal(38, 3)) * unit_price * (1 - coalesce(discount_rate, 0))
                as decimal(18, 4)
            )
        end as revenue,

        -- flags
        quantity < 0 as is_return,

        -- load
        load_id,
        source_row,
        loaded_at

    from checked

)

select * from renamed
