{#- Nothing is lost in staging: rows of raw.<entity> = rows of the stg model + rejected rows of
    that entity. Apply to stg_sales_lake__<entity>; fails with the three counts. -#}
{% test sales_lake_rows_reconcile(model, entity) %}

with

lake as (

    select count(*) as lake_rows from {{ source('sales_lake', entity) }}

),

staged as (

    select count(*) as staged_rows from {{ model }}

),

rejected as (

    select count(*) as rejected_rows
    from {{ ref('stg_sales_lake__rejected_rows') }}
    where entity = '{{ entity }}'

)

select
    lake.lake_rows,
    staged.staged_rows,
    rejected.rejected_rows

from lake
cross join staged
cross join rejected
where lake.lake_rows <> staged.staged_rows + rejected.rejected_rows

{% endtest %}
