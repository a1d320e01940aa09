{#-
    The continuous quantile (linear interpolation) of expr, q in 0..1: median = quantile_cont(x,
    0.5). An aggregate, also usable as a window function with over (...). Adapter-dispatched:
    DuckDB quantile_cont, Spark percentile (exact), others the SQL standard percentile_cont.
-#}
{% macro quantile_cont(expr, q) %}
    {{- return(adapter.dispatch('quantile_cont', 'salesdesk')(expr, q)) -}}
{% endmacro %}

{% macro default__quantile_cont(expr, q) -%}
    percentile_cont({{ q }}) within group (order by {{ expr }})
{%- endmacro %}

{% macro duckdb__quantile_cont(expr, q) -%}
    quantile_cont({{ expr }}, {{ q }})
{%- endmacro %}

{% macro spark__quantile_cont(expr, q) -%}
    percentile({{ expr }}, {{ q }})
{%- endmacro %}
