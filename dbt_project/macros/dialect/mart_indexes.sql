{#-
    The `indexes` config of a mart: on Postgres one b-tree index per column list (what
    analysts and the application filter and join by); none on DuckDB, whose column store
    needs no secondary indexes and whose incremental cleanup trips over them when models
    build in parallel (duckdb/dbt-duckdb#660).
-#}
{% macro mart_indexes(column_lists) %}
    {{- return(adapter.dispatch('mart_indexes', 'clario')(column_lists)) -}}
{% endmacro %}

{% macro default__mart_indexes(column_lists) %}
    {{- return([]) -}}
{% endmacro %}

{% macro postgres__mart_indexes(column_lists) %}
    {%- set indexes = [] -%}
    {%- for columns in column_lists -%}
        {%- do indexes.append({'columns': columns}) -%}
    {%- endfor -%}
    {{- return(indexes) -}}
{% endmacro %}
