{#- Expressions over a checked model (contract column names) for stg_sales_lake__rejected_rows.
    Column lists come from the sources YAML (sales_lake_columns, sales_lake_key). -#}

{% macro sales_lake_text(column) %}
    {#- A column as text, '' when null. -#}
    coalesce(cast({{ column }} as {{ dbt.type_string() }}), '')
{%- endmacro %}


{% macro sales_lake_row_key(entity) %}
    {#- The key values of a row joined by '|' (as contracts.row_key shows them to people). -#}
    {%- set parts = [] -%}
    {%- for column in sales_lake_key(entity) -%}
        {%- if not loop.first -%}
            {%- do parts.append("'|'") -%}
        {%- endif -%}
        {%- do parts.append(sales_lake_text(column)) -%}
    {%- endfor -%}
    {%- if not parts -%}
        {{ return('null') }}
    {%- elif parts | length == 1 -%}
        {{ return(parts[0]) }}
    {%- endif -%}
    {{ return(dbt.concat(parts)) }}
{% endmacro %}


{% macro sales_lake_raw_values(entity) %}
    {#- 'col=value; col=value' over every contract column of the entity (empty when null). -#}
    {%- set parts = [] -%}
    {%- for column in sales_lake_columns(entity, include_load_columns=false) -%}
        {%- do parts.append("'" ~ ('; ' if not loop.first else '') ~ column.name ~ "='") -%}
        {%- do parts.append(sales_lake_text(column.name)) -%}
    {%- endfor -%}
    {%- if not parts -%}
        {{ return('null') }}
    {%- endif -%}
    {{ return(dbt.concat(parts)) }}
{% endmacro %}
