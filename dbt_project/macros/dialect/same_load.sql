{#-
    A join condition for a nested staging view: the child row and its parent come from
    the same load (`_dlt_root_load_id`, extract/nested_columns.py). Always true, so it
    never changes a result; it is there for the planner. DuckDB pushes the new loads'
    range from the child through it into the parent's scan and skips the row groups of
    older loads. Postgres finds a child's parent by index either way, and pays a quarter
    more for a full build's joins with the extra key, so there it is left out.
-#}
{% macro and_same_load(child_load_id, parent_load_id) %}
    {{- return(adapter.dispatch('and_same_load', 'clario')(child_load_id, parent_load_id)) -}}
{% endmacro %}

{% macro default__and_same_load(child_load_id, parent_load_id) -%}
{%- endmacro %}

{% macro duckdb__and_same_load(child_load_id, parent_load_id) -%}
    and {{ child_load_id }} = {{ parent_load_id }}
{%- endmacro %}
