{#- One schema per layer, named exactly as dbt_project.yml's +schema says (staging,
    intermediate, marts), not dbt's default <target schema>_<custom schema>. A model without a
    +schema (none today) and the seeds land in the target's schema (main on DuckDB). On Spark a
    schema is a database: the build reads the marts from the database marts. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
