{#- Every non-null value of column_name lies within [min_value, max_value] (either bound may be
    omitted). dbt_utils.accepted_range without the package. -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none) %}

select {{ column_name }}
from {{ model }}
where
    {%- if min_value is none and max_value is none %}
    false
    {%- else %}
    {{ column_name }} is not null
    and (
        {%- if min_value is not none %}
        {{ column_name }} < {{ min_value }}
        {%- endif %}
        {%- if min_value is not none and max_value is not none %}
        or
        {%- endif %}
        {%- if max_value is not none %}
        {{ column_name }} > {{ max_value }}
        {%- endif %}
    )
    {%- endif %}

{% endtest %}
