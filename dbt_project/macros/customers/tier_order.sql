{#- A tier as a number for comparisons: S 4 > A 3 > B 2 > C 1 (null stays null). -#}
{% macro tier_order(tier_expr) -%}
    case {{ tier_expr }} when 'S' then 4 when 'A' then 3 when 'B' then 2 when 'C' then 1 end
{%- endmacro %}
