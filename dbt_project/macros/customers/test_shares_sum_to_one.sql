{#-
    The shares in column_name add up to 1 (within tolerance) in every group of group_by
    columns. A group whose shares are all empty (its total was zero, so every share is null by
    nullif) is skipped. Returns the groups that do not add up.
-#}
{% test shares_sum_to_one(model, column_name, group_by, tolerance=0.000001) %}

with

grouped as (

    select
        {{ group_by | join(',\n        ') }},
        count({{ column_name }}) as share_count,
        sum({{ column_name }}) as share_total

    from {{ model }}
    group by {{ group_by | join(', ') }}

)

select * from grouped
where share_count > 0
    and abs(share_total - 1) > {{ tolerance }}

{% endtest %}
