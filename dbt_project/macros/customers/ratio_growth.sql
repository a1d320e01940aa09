{#- Growth of numerator over denominator as a ratio - 1 (0.10 = +10 %), as a double; null when
    the denominator is 0 (nullif: Spark would return null, DuckDB would raise or return inf). -#}
{% macro ratio_growth(numerator, denominator) -%}
    cast({{ numerator }} as double) / cast(nullif({{ denominator }}, 0) as double) - 1
{%- endmacro %}
