{% macro as_of_date() %}
    {#- The as-of date of the build as a SQL date expression: var as_of_date, or current_date. -#}
    {%- set value = var('as_of_date', none) -%}
    {%- if value is none or value == '' -%}
        current_date
    {%- else -%}
        cast('{{ value }}' as date)
    {%- endif -%}
{% endmacro %}
