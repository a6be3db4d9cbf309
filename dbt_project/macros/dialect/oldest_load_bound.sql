{#-
    The load filter's constant lower bound (new_loads_filter.sql): `<load column> >
    '<oldest watermark>' and `, or nothing. Implied by the filter, so it never changes a
    result; it is there for the planner. DuckDB skips a mart's row groups of older loads
    by their min/max with it. Postgres, given a constant, estimates the rows from the
    mart's statistics, which the build has just made stale (the new rows are not in
    them): it expected one of `settlements`' 52,000 new lines, chose a nested loop, and
    `settlement_fees` ran for more than 7 minutes instead of seconds at bench scale. So
    Postgres does without it.
-#}
{% macro oldest_load_bound(load_column, oldest) %}
    {{- return(adapter.dispatch('oldest_load_bound', 'clario')(load_column, oldest)) -}}
{% endmacro %}

{% macro default__oldest_load_bound(load_column, oldest) -%}
{%- endmacro %}

{% macro duckdb__oldest_load_bound(load_column, oldest) -%}
    {{ load_column }} > '{{ oldest }}' and
{%- endmacro %}
