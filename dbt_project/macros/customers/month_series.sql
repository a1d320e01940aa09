{#-
    One row per calendar month, column month_start (a date, the first of the month), from the
    month of start_date_expr to the month of end_date_expr, both included. Both expressions are
    evaluated per row of from_relation (a relation or CTE name; with one row, one series), so
    they may be its columns. Adapter-dispatched: DuckDB unnests generate_series, Spark explodes
    sequence. Returns a complete select statement, to be used as a CTE body.
-#}
{% macro month_series(start_date_expr, end_date_expr, from_relation) %}
    {{ return(adapter.dispatch('month_series', 'salesdesk')(start_date_expr, end_date_expr, from_relation)) }}
{% endmacro %}

{% macro default__month_series(start_date_expr, end_date_expr, from_relation) %}
    select
        cast(series.month_start as date) as month_start
    from (
        select
            explode(
                sequence(
                    cast({{ dbt.date_trunc('month', start_date_expr) }} as date),
                    cast({{ dbt.date_trunc('month', end_date_expr) }} as date),
                    interval 1 month
                )
            ) as month_start
        from {{ from_relation }}
    ) as series
{% endmacro %}

{% macro spark__month_series(start_date_expr, end_date_expr, from_relation) %}
    {{ return(default__month_series(start_date_expr, end_date_expr, from_relation)) }}
{% endmacro %}

{% macro duckdb__month_series(start_date_expr, end_date_expr, from_relation) %}
    select
        cast(series.month_start as date) as month_start
    from (
        select
            unnest(
                generate_series(
                    cast({{ dbt.date_trunc('month', start_date_expr) }} as timestamp),
                    cast({{ dbt.date_trunc('month', end_date_expr) }} as timestamp),
                    interval 1 month
                )
            ) as month_start
        from {{ from_relation }}
    ) as series
{% endmacro %}
