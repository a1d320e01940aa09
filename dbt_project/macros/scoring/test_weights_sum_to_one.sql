{#- The values of column_name add up to 1 (within tolerance): the scoring weights. Fails with
    one row holding the actual sum. -#}
{% test weights_sum_to_one(model, column_name, tolerance=0.0001) %}

with

total as (

    select sum({{ column_name }}) as weight_sum
    from {{ model }}

)

select weight_sum
from total
where
    weight_sum is null
    or weight_sum < 1 - {{ tolerance }}
    or weight_sum > 1 + {{ tolerance }}

{% endtest %}
