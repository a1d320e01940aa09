{#-
    A 0-100 score: the percentile of expr within partition_by (percent_rank x 100). Ties share
    the middle of their ranks: the mean of percent_rank ascending and 1 - percent_rank
    descending (equal to percent_rank when there are no ties), so 30 customers tied at
    "no complaints" all score high rather than at the bottom of their group. A partition of one
    customer scores 50. higher_is_better=false inverts the scale (fewer complaints = higher).
    expr must not be null (engines sort nulls differently): coalesce it first.
-#}
{% macro percentile_score(expr, partition_by, higher_is_better=true) -%}
    {%- set up = 'asc' if higher_is_better else 'desc' -%}
    {%- set down = 'desc' if higher_is_better else 'asc' -%}
    cast(
        round(
            100 * (
                percent_rank() over (partition by {{ partition_by }} order by {{ expr }} {{ up }})
                + 1
                - percent_rank() over (partition by {{ partition_by }} order by {{ expr }} {{ down }})
            ) / 2,
            2
        )
        as decimal(5, 2)
    )
{%- endmacro %}
