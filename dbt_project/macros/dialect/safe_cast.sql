{#-
    Casts that give null instead of failing, so one malformed value never breaks a build.
    Staging flags the row (`has_cast_error`) when a non-empty raw value gives null; marts
    leave flagged rows out and `rejected_rows_summary` counts them.
-#}
{% macro safe_cast_money(expression) %}
    {{- return(adapter.dispatch('safe_cast_money', 'clario')(expression)) -}}
{% endmacro %}

{% macro default__safe_cast_money(expression) -%}
    case
        when trim({{ expression }}) ~ '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)$'
            then cast(trim({{ expression }}) as {{ clario.type_money() }})
    end
{%- endmacro %}

{% macro duckdb__safe_cast_money(expression) -%}
    try_cast(trim({{ expression }}) as {{ clario.type_money() }})
{%- endmacro %}

{% macro safe_cast_integer(expression) %}
    {{- return(adapter.dispatch('safe_cast_integer', 'clario')(expression)) -}}
{% endmacro %}

{% macro default__safe_cast_integer(expression) -%}
    case
        when trim({{ expression }}) ~ '^[+-]?[0-9]{1,18}$'
            then cast(trim({{ expression }}) as {{ dbt.type_bigint() }})
    end
{%- endmacro %}

{% macro duckdb__safe_cast_integer(expression) -%}
    try_cast(trim({{ expression }}) as {{ dbt.type_bigint() }})
{%- endmacro %}

{#- True when `raw` holds a value but its cast `cast` gave null. -#}
{% macro cast_failed(raw, cast) -%}
    (nullif(trim({{ raw }}), '') is not null and {{ cast }} is null)
{%- endmacro %}

{#- True when any of the listed text columns holds a value that does not cast. -#}
{% macro any_cast_failed(integers=[], money=[]) -%}
    (
        {%- for column in integers %}
        {{ "or " if not loop.first }}{{ clario.cast_failed(column, clario.safe_cast_integer(column)) }}
        {%- endfor %}
        {%- for column in money %}
        {{ "or " if integers or not loop.first }}{{ clario.cast_failed(column, clario.safe_cast_money(column)) }}
        {%- endfor %}
    )
{%- endmacro %}
