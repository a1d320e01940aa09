{#-
    Missing required columns and duplicate keys of a lake entity: emits four CTEs for a model's
    WITH list, from `flagged` (every row of <relation> plus is_missing_required) to `ranked` =
    every row plus key_rank (1 = the row kept for its key) and kept_load_id (the load of the kept
    row). `sales_lake_key_rules()` turns these columns into the first three rejection rules. Among rows with the same key (rows missing a
    required column take no part), the latest load wins (loaded_at, then load_id), then the
    first row of that load.

    Only the rows whose key occurs more than once are ranked with window functions: on millions
    of order lines with a handful of duplicates, a hash aggregate finds them far faster than a
    window over every row.
-#}
{% macro sales_lake_rank_by_key(entity, relation) %}
{%- set key = sales_lake_key(entity) -%}
{%- set typed = relation -%}
{%- set relation = 'flagged' -%}
{%- set window -%}
partition by {{ key | join(', ') }}
            order by loaded_at desc, load_id desc, source_row
{%- endset -%}
flagged as {{ not_materialized() }} (

    select
        *,
        {{ sales_lake_missing_required(entity) }} as is_missing_required

    from {{ typed }}

),

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



{#- The first three rejection rules, as `when` branches of the model's CASE over `ranked`. -#}
{% macro sales_lake_key_rules(prefix='') %}
            when {{ prefix }}is_missing_required then 'missing_required'
            when {{ prefix }}key_rank > 1 and {{ prefix }}load_id = {{ prefix }}kept_load_id then 'duplicate_key'
            when {{ prefix }}key_rank > 1 then 'superseded_by_later_load'
{%- endmacro %}


{#- The load columns of a lake file, typed and renamed, for a checked model's `typed` CTE. -#}
{% macro sales_lake_typed_load_columns() %}
        cast(_load_id as {{ dbt.type_string() }}) as load_id,
        cast(_source_row as {{ dbt.type_bigint() }}) as source_row,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
{%- endmacro %}
