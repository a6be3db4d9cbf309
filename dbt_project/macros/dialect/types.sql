{#- Column types the project declares, in one place; `dbt.type_*()` where dbt has one. -#}

{#- Money: Amazon amounts carry two decimals; numeric, never float. -#}
{% macro type_money() %}
    {{- return(adapter.dispatch('type_money', 'clario')()) -}}
{% endmacro %}

{% macro default__type_money() %}
    {{- return('numeric(18,2)') -}}
{% endmacro %}

{#-
    Money as dlt loads it from the Finances API (its default decimal, 38 digits with 9
    after the point): what base models select amounts as. Casting to `type_money()` on
    every raw row cost DuckDB 6 s per 11 million fee rows, before an incremental run's
    join had kept the few it needed; the marts round to cents after adding up.
-#}
{% macro type_raw_money() %}
    {{- return(adapter.dispatch('type_raw_money', 'clario')()) -}}
{% endmacro %}

{% macro default__type_raw_money() %}
    {{- return('numeric(38,9)') -}}
{% endmacro %}

{#- A UTC instant (dbt.type_timestamp() is the zone-less timestamp on Postgres). -#}
{% macro type_timestamp_tz() %}
    {{- return(adapter.dispatch('type_timestamp_tz', 'clario')()) -}}
{% endmacro %}

{% macro default__type_timestamp_tz() %}
    {{- return('timestamp with time zone') -}}
{% endmacro %}

{% macro duckdb__type_timestamp_tz() %}
    {{- return('timestamptz') -}}
{% endmacro %}

{% macro postgres__type_timestamp_tz() %}
    {{- return('timestamptz') -}}
{% endmacro %}

{#- JSON documents: `json` on DuckDB, `jsonb` on Postgres. -#}
{% macro type_json() %}
    {{- return(adapter.dispatch('type_json', 'clario')()) -}}
{% endmacro %}

{% macro default__type_json() %}
    {{- return('json') -}}
{% endmacro %}

{% macro postgres__type_json() %}
    {{- return('jsonb') -}}
{% endmacro %}
