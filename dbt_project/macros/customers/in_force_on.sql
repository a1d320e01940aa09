{% macro in_force_on(periods, on_date) %}
    {#- Whether the row of ``periods`` (valid_from, valid_to: inclusive, null = open) is in force
        on ``on_date``: the one rule that credits an order line to the customer assignment of its
        order date (commissions and revenue attribution). -#}
    ({{ periods }}.valid_from is null or {{ on_date }} >= {{ periods }}.valid_from)
        and ({{ periods }}.valid_to is null or {{ on_date }} <= {{ periods }}.valid_to)
{%- endmacro %}
