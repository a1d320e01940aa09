{#-
    `name as {{ not_materialized() }} (...)`: ask the engine to inline a CTE rather than store it.
    DuckDB materializes a CTE that is read more than once; for a cheap scan of millions of lake
    rows, scanning twice is several times faster than writing it aside (sales staging at scale
    10: 39 s materialized, 11 s inlined). Spark inlines CTEs anyway and has no such keyword.
-#}
{% macro not_materialized() %}
    {{- return(adapter.dispatch('not_materialized', 'salesdesk')()) -}}
{% endmacro %}

{% macro default__not_materialized() %}{% endmacro %}

{% macro duckdb__not_materialized() %}not materialized{% endmacro %}
