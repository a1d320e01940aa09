-- The rows staging kept out of the warehouse, for the Data page: one row per rejected lake row.

with

rejected as (

    select * from {{ ref('stg_sales_lake__rejected_rows') }}

)

select
    entity,
    row_key,
    rule,
    rule_description,
    load_id,
    source_row,
    loaded_at,
    raw_values

from rejected
