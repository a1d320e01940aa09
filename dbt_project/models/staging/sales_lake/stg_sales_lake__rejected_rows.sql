-- Every lake row that staging rejected, of every entity, with the first rule it failed.
-- Together with the stg models it accounts for every lake row (lake = staged + rejected).

{#- the entities of the contract (macros/sales_lake/sales_lake_contract.sql) #}
{%- set entities = sales_lake_entities() %}

with
{% for entity in entities %}
{{ entity }}_rejected as (

    select
        '{{ entity }}' as entity,
        {{ sales_lake_row_key(entity) }} as row_key,
        rejection_rule as rule,
        load_id,
        source_row,
        loaded_at,
        {{ sales_lake_raw_values(entity) }} as raw_values

    from {{ ref('base_sales_lake__' ~ entity) }}
    where rejection_rule is not null

),
{% endfor %}
unioned as (

    {%- for entity in entities %}
    {% if not loop.first %}union all {% endif %}select * from {{ entity }}_rejected
    {%- endfor %}

),

described as (

    select
        entity,
        row_key,
        rule,
        case rule
            {%- for rule, description in var('rejection_rules').items() %}
            when '{{ rule }}' then '{{ description }}'
            {%- endfor %}
        end as rule_description,
        load_id,
        source_row,
        loaded_at,
        raw_values

    from unioned

)

select * from described
