{#- Money sums are taken from unrounded values and rounded once at the end: the column's total
    (per value of partition_by, e.g. each grain of a mart that repeats the lines at several
    grains) equals the staged order lines' revenue total to the cent. Fails with the totals
    that differ. Apply to a money column of a mart that covers every order line. -#}
{% test money_total_matches_order_lines(model, column_name, partition_by=none) %}

with

mart as (

    select
        {% if partition_by %}cast({{ partition_by }} as {{ dbt.type_string() }}){% else %}'all'{% endif %} as part,
        cast(round(sum({{ column_name }}), 2) as decimal(18, 2)) as mart_total

    from {{ model }}
    group by 1

),

lines as (

    select cast(round(coalesce(sum(revenue), 0), 2) as decimal(18, 2)) as line_total
    from {{ ref('stg_sales_lake__sales') }}

)

select
    mart.part,
    mart.mart_total,
    lines.line_total

from mart
cross join lines
where mart.mart_total <> lines.line_total

{% endtest %}
