{#- A compound key: no two rows share the same values of combination_of_columns
    (dbt_utils.unique_combination_of_columns without the package). -#}
{% test unique_combination(model, combination_of_columns) %}

with

keyed as (

    select
        {{ combination_of_columns | join(',\n        ') }},
        count(*) as row_count

    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}

)

select * from keyed
where row_count > 1

{% endtest %}
