{#-
    JSON built in SQL: an object from (key, expression) pairs, and an aggregate that
    collects strings into a JSON array. DuckDB's `json_object`/`json_group_array` and
    Postgres's `jsonb_build_object`/`jsonb_agg` differ only in name.
-#}
{% macro json_object(pairs) %}
    {{- return(adapter.dispatch('json_object', 'clario')(pairs)) -}}
{% endmacro %}

{% macro default__json_object(pairs) -%}
    json_object(
        {%- for key, expression in pairs %}
        '{{ key }}', {{ expression }}{{ "," if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{% macro postgres__json_object(pairs) -%}
    jsonb_build_object(
        {%- for key, expression in pairs %}
        '{{ key }}', {{ expression }}{{ "," if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{% macro json_array_agg(expression, order_by) %}
    {{- return(adapter.dispatch('json_array_agg', 'clario')(expression, order_by)) -}}
{% endmacro %}

{% macro default__json_array_agg(expression, order_by) -%}
    to_json(list({{ expression }} order by {{ order_by }}))
{%- endmacro %}

{% macro postgres__json_array_agg(expression, order_by) -%}
    jsonb_agg({{ expression }} order by {{ order_by }})
{%- endmacro %}

{#- An empty JSON array, for rows with nothing to aggregate. -#}
{% macro json_empty_array() %}
    {{- return(adapter.dispatch('json_empty_array', 'clario')()) -}}
{% endmacro %}

{% macro default__json_empty_array() -%}
    cast('[]' as {{ clario.type_json() }})
{%- endmacro %}
