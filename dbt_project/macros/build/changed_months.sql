{#-
    Incremental by month (models/pipeline/incremental.py decides what a build recomputes).

    The order-line and visit models whose rows belong to one month each (the order month, the
    visit month) are dbt `incremental` models on DuckDB. A build that starts from a copy of the
    current warehouse passes the var `changed_months` (a list of 'YYYY-MM-01'): each such model
    deletes the rows of those months (a pre-hook) and inserts them again, computed from its
    inputs; every other month is kept as it is. Rows without a month (a rejected row whose date
    is empty or not a date) are always recomputed. Strategy `append` after the pre-hook's delete,
    rather than dbt's delete+insert on a unique key: a month whose rows all went away (a load
    replaced) must be emptied too, and delete+insert only deletes the keys it inserts again.

    Without the var, or when the table does not exist yet, a model builds every month (a full
    build). A full build never starts from a copy, so `dbt build` by hand on an empty file is a
    full build as well. On Spark the same models are plain tables, rebuilt whole.
-#}

{% macro by_month_materialization() %}
    {#- 'incremental' on DuckDB, 'table' on other targets (Spark: full builds). -#}
    {{- return('incremental' if target.type == 'duckdb' else 'table') -}}
{% endmacro %}


{% macro month_of(column) %}
    {#- The first day of the month of a date or timestamp column, as a date. -#}
    cast({{ dbt.date_trunc('month', column) }} as date)
{%- endmacro %}


{% macro is_incremental_run() %}
    {#- dbt's is_incremental(), false where there is no relation to build (a unit test). -#}
    {{- return(this is not none and is_incremental()) -}}
{% endmacro %}


{% macro builds_changed_months_only() %}
    {#- True when this model run recomputes only the months of var changed_months. -#}
    {{- return(is_incremental_run() and var('changed_months', none) is not none) -}}
{% endmacro %}


{% macro in_changed_months(month_expr) %}
    {#- A predicate: the row's month is one this model run recomputes (always true when the
        model builds in full). -#}
    {%- if not is_incremental_run() -%}
        (1 = 1)
    {%- else -%}
        {{ in_build_changed_months(month_expr) }}
    {%- endif -%}
{% endmacro %}


{% macro in_build_changed_months(month_expr) %}
    {#- A predicate: the row's month is one this build recomputes (true in a full build). Data
        tests of the month-incremental models test those months only: the others were tested
        by the build that wrote them, and are copied unchanged. -#}
    {%- set months = var('changed_months', none) -%}
    {%- if months is none -%}
        (1 = 1)
    {%- else -%}
        {%- if months | length == 0 -%}
        ({{ month_expr }} is null)
        {%- else -%}
        ({{ month_expr }} is null or {{ month_expr }} in (
            {%- for month in months -%}
            cast('{{ month }}' as date){% if not loop.last %}, {% endif %}
            {%- endfor -%}
        ))
        {%- endif -%}
    {%- endif -%}
{% endmacro %}


{% macro delete_changed_months(month_expr) %}
    {#- The pre-hook of a month-incremental model: empty the months this run recomputes. An
        existing table without the var is emptied whole and rebuilt. -#}
    {%- if is_incremental_run() -%}
        delete from {{ this }} where {{ in_changed_months(month_expr) }}
    {%- endif -%}
{% endmacro %}


{% macro changed_months_scope(relation, key, month_expr, into) %}
    {#- CTEs for a checked staging model's WITH list: `into` = the rows of `relation` (the typed
        lake rows) in the changed months, with the model's own rows of other months that have
        the same keys, which the latest-load-wins ranking needs (in a full run, every lake
        row). Those other rows come from the model's table (the pre-hook has deleted the changed
        months, and a new load's rows are all in changed months), so the lake is only scanned
        for the changed months' rows. -#}
{%- if not builds_changed_months_only() %}
{{ into }} as {{ not_materialized() }} (

    select * from {{ relation }}

)
{%- else %}
{{ into }}_changed as (

    select * from {{ relation }}
    where {{ in_changed_months(month_expr) }}

),

{{ into }}_other_months as (

    select kept.* exclude (rejection_rule)

    from {{ this }} as kept
    semi join {{ into }}_changed as changed
        on {% for column in key -%}
        kept.{{ column }} = changed.{{ column }}
        {% if not loop.last %}and {% endif -%}
        {%- endfor %}

),

{{ into }} as (

    select * from {{ into }}_changed
    union all by name
    select * from {{ into }}_other_months

)
{%- endif %}
{% endmacro %}


{% macro default__get_where_subquery(relation) -%}
    {#- dbt's filter of a generic data test (its `where` config), with one addition: the where
        `__changed_months_of__:<date column>` tests the rows of the months this build
        recomputes (in_build_changed_months(month_of(<date column>))), every row in a full
        build. -#}
    {%- set where = config.get('where') -%}
    {%- if where and where.startswith('__changed_months_of__:') -%}
        {%- set where = in_build_changed_months(month_of(where.split(":", 1)[1])) -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
