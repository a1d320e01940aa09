-- Valid assessments (one row per customer_id, criterion and assessed_date).

with

checked as (

    select * from {{ ref('base_sales_lake__assessments') }}
    where rejection_rule is null

),

renamed as (

    select
        -- ids
        customer_id,
        criterion,

        -- judgement
        assessed_date,
        score,
        assessor,

        -- load
        load_id,
        source_row,
        loaded_at

    from checked

)

select * from renamed
