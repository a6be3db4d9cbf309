{#- One text key from a record's key columns; a missing value counts as empty. -#}
{% macro record_key(columns) -%}
    {%- for column in columns -%}
        coalesce(cast({{ column }} as {{ dbt.type_string() }}), ''){{ " || '|' || " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
