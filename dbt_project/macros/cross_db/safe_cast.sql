{#- dbt.safe_cast is a plain cast on dbt-duckdb (it raises on a bad value); try_cast returns
    null like Spark's cast with ANSI mode off. Found through the dispatch config. -#}
{% macro duckdb__safe_cast(field, type) %}
    try_cast({{ field }} as {{ type }})
{% endmacro %}
