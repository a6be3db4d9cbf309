{#-
    Ends a subquery that the planner must not flatten into the query around it. Postgres
    keeps a subquery with `offset 0` apart, so a lateral lookup uses the raw table's
    index instead of computing a view's casts for every row first. DuckDB needs no fence,
    and an `offset` there turns a lateral join into a window over every row.
-#}
{% macro optimization_fence() %}
    {{- return(adapter.dispatch('optimization_fence', 'clario')()) -}}
{% endmacro %}

{% macro default__optimization_fence() -%}
    offset 0
{%- endmacro %}

{% macro duckdb__optimization_fence() -%}
{%- endmacro %}
