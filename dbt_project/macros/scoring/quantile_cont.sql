{#-
    The continuous quantile (linear interpolation) of expr, q in 0..1: median = quantile_cont(x,
    0.5). An aggregate, also usable as a window function with over (...). Adapter-dispatched:
    DuckDB quantile_cont, Spark percentile (exact), others the SQL standard percentile_cont.
    A double on every engine: Spark's percentile returns one, and DuckDB's quantile_cont over a
    decimal returns the input's decimal type, truncating the interpolated value (the median
    of 49.76 and 49.79 came out 49.77 on DuckDB, 49.775 on Spark).
-#}
{% macro quantile_cont(expr, q) %}
    {{- return(adapter.dispatch('quantile_cont', 'salesdesk')(expr, q)) -}}
{% endmacro %}

{% macro default__quantile_cont(expr, q) -%}
    percentile_cont({{ q }}) within group (order by {{ expr }})
{%- endmacro %}

{% macro duckdb__quantile_cont(expr, q) -%}
    quantile_cont(cast({{ expr }} as double), {{ q }})
{%- endmacro %}

{% macro spark__quantile_cont(expr, q) -%}
    percentile({{ expr }}, {{ q }})
{%- endmacro %}
