{#-
    A pre-hook for a table model whose joins all match on keys (equalities, at most a range
    beside them): Postgres plans them as hash joins, never as nested loops (`set local
    enable_nestloop = off`, for the model's own transaction). Its row estimates through
    several views and aggregates can come out at one row where there are thousands; it
    then picked a nested-loop anti-join that scanned every customer return once per
    refund, and `claims` took 22 s instead of 2.8 s at 1,000 sellers (204,100 orders).
    DuckDB plans these as hash joins anyway.
-#}
{% macro hash_joins_only() %}
    {{- return(adapter.dispatch('hash_joins_only', 'clario')()) -}}
{% endmacro %}

{% macro default__hash_joins_only() -%}
{%- endmacro %}

{% macro postgres__hash_joins_only() -%}
    set local enable_nestloop = off
{%- endmacro %}
