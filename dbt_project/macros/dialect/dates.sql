{#-
    Day arithmetic both engines agree on. `utc_date`: the UTC calendar day of a timestamp
    with time zone, whatever the session's time zone. `add_days`: a date plus a whole
    number of days, as a date. `int_div`: integer division (DuckDB's `/` gives a double).
-#}
{% macro utc_date(expression) %}
    {{- return(adapter.dispatch('utc_date', 'clario')(expression)) -}}
{% endmacro %}

{% macro default__utc_date(expression) -%}
    cast(({{ expression }}) at time zone 'UTC' as date)
{%- endmacro %}

{% macro duckdb__utc_date(expression) -%}
    cast(timezone('UTC', {{ expression }}) as date)
{%- endmacro %}

{% macro add_days(date_expression, days) -%}
    cast({{ date_expression }} + interval '{{ days | int }} day' as date)
{%- endmacro %}

{% macro int_div(numerator, denominator) %}
    {{- return(adapter.dispatch('int_div', 'clario')(numerator, denominator)) -}}
{% endmacro %}

{% macro default__int_div(numerator, denominator) -%}
    (({{ numerator }}) / ({{ denominator }}))
{%- endmacro %}

{% macro duckdb__int_div(numerator, denominator) -%}
    (({{ numerator }}) // ({{ denominator }}))
{%- endmacro %}

{#-
    `amount / units` rounded half-up to the cent, exactly: in whole cents,
    (2 x cents + units) div (2 x units). (DuckDB divides decimals as doubles.)
-#}
{% macro cents_half_up(amount, units) -%}
    {%- set bigint = dbt.type_bigint() -%}
    {%- set cents = 'cast((' ~ amount ~ ') * 100 as ' ~ bigint ~ ')' -%}
    {%- set count = 'cast(' ~ units ~ ' as ' ~ bigint ~ ')' -%}
    {#- both bigint: Postgres sums bigints as numeric, and divides numerics exactly -#}
    (cast({{ clario.int_div('2 * ' ~ cents ~ ' + ' ~ count, '2 * ' ~ count) }}
        as {{ clario.type_money() }}) / 100)
{%- endmacro %}
