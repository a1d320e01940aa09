{#-
    on-run-start: register each lake entity as the relation raw.<entity>, so sources (and dbt
    unit tests that take a source as input) find a real catalog object. Adapter-dispatched.
    The lake folder is the env var SALESDESK_LAKE: <lake>/<entity>/<load_id>.parquet.
-#}

{% macro register_lake_sources() %}
    {{ return(adapter.dispatch('register_lake_sources', 'salesdesk')()) }}
{% endmacro %}


{% macro default__register_lake_sources() %}
    {{ exceptions.raise_compiler_error(
        "register_lake_sources has no implementation for adapter " ~ adapter.type()
    ) }}
{% endmacro %}


{% macro duckdb__register_lake_sources() %}
    {#- A view per entity over the files present now (an explicit list, so the build reads a
        fixed snapshot of the lake), selecting exactly the contract columns with their types;
        a column no file has is null. No files: an empty view with the same columns. -#}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set lake = env_var('SALESDESK_LAKE').rstrip('/').replace("'", "''") -%}
    {%- do run_query('create schema if not exists raw') -%}
    {%- set counts = [] -%}
    {%- for entity in sales_lake_entities() -%}
        {%- set files = run_query(
            "select file from glob('" ~ lake ~ "/" ~ entity ~ "/*.parquet') order by file"
        ).columns[0].values() -%}
        {%- set file_list = [] -%}
        {%- for file in files -%}
            {%- do file_list.append("'" ~ file.replace("'", "''") ~ "'") -%}
        {%- endfor -%}
        {%- set present = [] -%}
        {%- if file_list -%}
            {%- set scan = "read_parquet([" ~ file_list | join(', ') ~ "], union_by_name = true)" -%}
            {%- set present = run_query("describe select * from " ~ scan).columns[0].values() -%}
        {%- endif -%}
        {%- set selected = [] -%}
        {%- for column in sales_lake_columns(entity) -%}
            {%- set value = column.name if column.name in present else 'null' -%}
            {%- do selected.append(
                'cast(' ~ value ~ ' as ' ~ column.data_type ~ ') as ' ~ column.name
            ) -%}
        {%- endfor -%}
        {%- set view_sql -%}
            create or replace view raw.{{ entity }} as
            select
                {{ selected | join(',\n                ') }}
            {% if file_list -%}
            from {{ scan }}
            {%- else -%}
            where 1 = 0
            {%- endif %}
        {%- endset -%}
        {%- do run_query(view_sql) -%}
        {%- do counts.append(entity ~ " " ~ file_list | length) -%}
    {%- endfor -%}
    {%- do adapter.commit() -%}
    {{ log("Lake " ~ lake ~ " files: " ~ counts | join(", "), info=true) }}
    {{ return('') }}
{% endmacro %}


{% macro spark__register_lake_sources() %}
    {#- An external Parquet table per entity folder, with the contract schema (so an entity
        without files is an empty table). Spark lists the folder at query time; the session
        time zone must be UTC (Parquet timestamps). -#}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set lake = env_var('SALESDESK_LAKE').rstrip('/').replace("'", "\\'") -%}
    {%- do run_query('create schema if not exists raw') -%}
    {%- for entity in sales_lake_entities() -%}
        {%- set columns = [] -%}
        {%- for column in sales_lake_columns(entity) -%}
            {%- do columns.append(column.name ~ ' ' ~ column.data_type) -%}
        {%- endfor -%}
        {%- do run_query(
            'create table if not exists raw.' ~ entity ~ ' (' ~ columns | join(', ') ~ ')'
            ~ " using parquet location '" ~ lake ~ '/' ~ entity ~ "'"
        ) -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}
