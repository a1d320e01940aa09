{#-
    Duplicate keys of a lake entity: emits three CTEs for a model's WITH list, ending in
    `ranked` = every row of <relation> plus key_rank (1 = the row kept for its key) and
    kept_load_id (the load of the kept row). Among rows with the same key (rows missing a
    required column take no part), the latest load wins (loaded_at, then load_id), then the
    first row of that load.

    Only the rows whose key occurs more than once are ranked with window functions: on millions
    of order lines with a handful of duplicates, a hash aggregate finds them far faster than a
    window over every row.
-#}
{% macro sales_lake_rank_by_key(entity, relation) %}
{%- set key = sales_lake_key(entity) -%}
{%- set window -%}
partition by {{ key | join(', ') }}
            order by loaded_at desc, load_id desc, source_row
{%- endset -%}
duplicated_keys as (

    select
        {{ key | join(',\n        ') }}

    from {{ relation }}
    where not is_missing_required
    group by {{ key | join(', ') }}
    having count(*) > 1

),

marked as {{ not_materialized() }} (

    select
        {{ relation }}.*,
        duplicated_keys.{{ key[0] }} is not null as has_duplicate_key

    from {{ relation }}
    left join duplicated_keys
        on {% for column in key -%}
        {{ relation }}.{{ column }} = duplicated_keys.{{ column }}
        {% if not loop.last %}and {% endif -%}
        {%- endfor %}
        and not {{ relation }}.is_missing_required

),

ranked as (

    select
        *,
        1 as key_rank,
        load_id as kept_load_id

    from marked
    where not has_duplicate_key

    union all

    select
        *,
        row_number() over (
            {{ window }}
        ) as key_rank,
        first_value(load_id) over (
            {{ window }}
        ) as kept_load_id

    from marked
    where has_duplicate_key

)
{%- endmacro %}
