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


{% macro sales_lake_raw_view(entity, scan, present) %}
    {#- The view raw.<entity> over ``scan`` (a relation: the lake files of the entity), selecting
        exactly the contract columns with their types; a column not in ``present`` (the scan's
        column names) is null. ``scan`` none: an empty view with the same columns. Both
        adapters' register_lake_sources build their views with it. -#}
    {%- set selected = [] -%}
    {%- for column in sales_lake_columns(entity) -%}
        {%- set value = column.name if column.name in present else 'null' -%}
        {%- do selected.append('cast(' ~ value ~ ' as ' ~ column.data_type ~ ') as ' ~ column.name) -%}
    {%- endfor -%}
    create or replace view raw.{{ entity }} as
    select
        {{ selected | join(',\n        ') }}
    {% if scan is not none -%}
    from {{ scan }}
    {%- else -%}
    where 1 = 0
    {%- endif %}
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
        {%- do run_query(sales_lake_raw_view(entity, scan if file_list else none, present)) -%}
        {%- do counts.append(entity ~ " " ~ file_list | length) -%}
    {%- endfor -%}
    {%- do adapter.commit() -%}
    {{ log("Lake " ~ lake ~ " files: " ~ counts | join(", "), info=true) }}
    {{ return('') }}
{% endmacro %}


{% macro spark__register_lake_sources() %}
    {#- A view per entity over the files listed for the build (the env var SALESDESK_LAKE_FILES,
        JSON {entity: [file name, ...]}, set by `salesdesk build --target spark`: Spark SQL
        cannot list a folder, and an explicit list is the same fixed snapshot as on DuckDB),
        selecting exactly the contract columns with their types; a column no file has is null.
        No files: an empty view with the same columns. Permanent views in the build's own
        metastore, replaced on every build: a temporary view cannot live in the schema raw that
        the sources name. Parquet timestamps are read in the session time zone, UTC. The
        files' schemas are merged: an older file without a newer optional column (customers'
        assigned_from) reads it as null. -#}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set listed = fromjson(env_var('SALESDESK_LAKE_FILES', 'null')) -%}
    {%- if listed is none -%}
        {{ exceptions.raise_compiler_error(
            "register_lake_sources on Spark needs SALESDESK_LAKE_FILES (JSON: entity -> lake "
            ~ "file names); salesdesk build --target spark sets it"
        ) }}
    {%- endif -%}
    {%- set lake = env_var('SALESDESK_LAKE').rstrip('/').replace('`', '``') -%}
    {%- do run_query('create schema if not exists raw') -%}
    {#- Files of one entity written before a contract column was added lack it: merge the
        files' schemas (like union_by_name on DuckDB), so the column is read where present and
        null elsewhere, instead of whichever file Spark happens to take the schema from. -#}
    {%- do run_query('set spark.sql.parquet.mergeSchema = true') -%}
    {%- set counts = [] -%}
    {%- for entity in sales_lake_entities() -%}
        {%- set files = listed.get(entity, []) | sort -%}
        {%- set present = [] -%}
        {%- if files -%}
            {#- one path; several files as a Hadoop glob alternation {a,b} -#}
            {%- set names = files[0] if files | length == 1 else '{' ~ files | join(',') ~ '}' -%}
            {%- set scan = 'parquet.`' ~ lake ~ '/' ~ entity ~ '/' ~ names ~ '`' -%}
            {%- set present = run_query('select * from ' ~ scan ~ ' limit 0').column_names -%}
        {%- endif -%}
        {%- do run_query(sales_lake_raw_view(entity, scan if files else none, present)) -%}
        {%- do counts.append(entity ~ " " ~ files | length) -%}
    {%- endfor -%}
    {{ log("Lake " ~ lake ~ " files: " ~ counts | join(", "), info=true) }}
    {{ return('') }}
{% endmacro %}
