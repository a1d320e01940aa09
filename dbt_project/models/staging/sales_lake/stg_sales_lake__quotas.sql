-- Valid monthly quotas (one row per rep_id and quota_month).

with

checked as (

    select * from {{ ref('base_sales_lake__quotas') }}
    where rejection_rule is null

),

renamed as (

    select
        -- ids
        rep_id,

        -- month (first day)
        month as quota_month,

        -- amount
        sales_quota,

        -- load
        load_id,
        source_row,
        loaded_at

    from checked

)

select * from renamed
