{#-
    An aggregate: `expression` of the group's row with the greatest `order_by` (the latest
    report row). One aggregation instead of a window plus a self-join, whose row estimate
    sends Postgres into nested loops.
-#}
{% macro latest_value(expression, order_by) %}
    {{- return(adapter.dispatch('latest_value', 'clario')(expression, order_by)) -}}
{% endmacro %}

{% macro default__latest_value(expression, order_by) -%}
    (array_agg({{ expression }} order by {{ order_by }} desc))[1]
{%- endmacro %}

{% macro duckdb__latest_value(expression, order_by) -%}
    arg_max({{ expression }}, {{ order_by }})
{%- endmacro %}
