{#-
    Visit policy arithmetic, shared by the lifecycle (visit-overdue alert), visits due and
    dim_customers so they always agree.

    visit_interval_days: whole days between two onsite visits = period_days /
    onsite_visits_required, rounded down (S: 7 / 2 -> 3, so two visits a week always fit;
    A 7, B 14, C 28 and prospect 28 are exact).

    next_visit_due_date: the last onsite visit + the interval. A customer never visited on site
    counts from the start of its first month of activity (first order or visit): due one
    interval after it became a customer or prospect.
-#}
{% macro visit_interval_days(period_days, onsite_visits_required) -%}
    cast(
        floor(
            cast({{ period_days }} as decimal(9, 2)) / nullif({{ onsite_visits_required }}, 0)
        )
        as {{ dbt.type_int() }}
    )
{%- endmacro %}

{% macro next_visit_due_date(last_onsite_visit_date, first_activity_date, interval_days) -%}
    cast(
        {{ dbt.dateadd(
            'day',
            interval_days,
            'coalesce(' ~ last_onsite_visit_date ~ ', ' ~ first_activity_date ~ ')'
        ) }}
        as date
    )
{%- endmacro %}
