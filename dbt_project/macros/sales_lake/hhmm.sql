{#- Clock times are kept as 'HH:MM' text in the contract (portable across engines). -#}

{% macro hhmm_part(column, part) -%}
    {#- The hours (part 'hour') or minutes (part 'minute') of an HH:MM text, null if not a number. -#}
    {%- set start = 1 if part == 'hour' else 4 -%}
    {{ dbt.safe_cast('substring(' ~ column ~ ', ' ~ start ~ ', 2)', dbt.type_int()) | trim }}
{%- endmacro %}


{% macro hhmm_is_invalid(column) -%}
    {#- True when a non-null time is not a valid HH:MM (00:00 .. 23:59). Null-safe. -#}
    ({{ column }} is not null and not coalesce(length({{ column }}) = 5 and substring({{ column }}, 3, 1) = ':' and {{ hhmm_part(column, 'hour') }} between 0 and 23 and {{ hhmm_part(column, 'minute') }} between 0 and 59, false))
{%- endmacro %}


{% macro hhmm_to_minutes(column) -%}
    {#- Minutes after midnight of a valid 'HH:MM' time, as an integer. -#}
    cast({{ hhmm_part(column, 'hour') }} * 60 + {{ hhmm_part(column, 'minute') }} as {{ dbt.type_int() }})
{%- endmacro %}
