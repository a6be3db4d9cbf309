{#-
    Which rows a build wrote, so that the tests of an incremental mart check only those.

    An incremental mart replaces every row whose key a new load touched (delete+insert on
    the unique key), and every other row stays as the tests already found it. Its unique,
    not-null, accepted-values and relationship tests therefore hold for the whole table
    when they hold for the rows this build wrote: the keys they check are the delete keys
    or are built from them. Checking the rest again is what made an incremental build
    after one six-hour sync cost a quarter of a full one (bench/dbt_build.py).

    Each incremental mart stamps its rows with `transformed_at`, when the build started.
-#}

{#- When this invocation started (dbt's `run_started_at`), as a UTC timestamp literal. -#}
{% macro build_started_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}+00:00' as {{ clario.type_timestamp_tz() }})
{%- endmacro %}


{#-
    A predicate on the rows of the model `node_id` that a test should check: those this
    build wrote (`transformed_at` = its start) when this is an incremental `dbt build` that
    built that model; every row otherwise (`dbt test`, a full refresh, a table model, or a
    build that did not select the model).
-#}
{% macro written_by_this_build(node_id) %}
    {%- set node = graph.nodes.get(node_id) if execute and node_id else none -%}
    {%- if node is none
        or flags.WHICH != 'build'
        or flags.FULL_REFRESH
        or node.config.materialized != 'incremental'
        or node_id not in selected_resources -%}
        {{- return('1 = 1') -}}
    {%- endif -%}
    {{- return('transformed_at = ' ~ clario.build_started_at()) -}}
{% endmacro %}


{#-
    dbt's own, except that the placeholder `__written_by_this_build__` in a test's `where`
    config becomes `written_by_this_build` of the model the test is attached to. It is
    resolved here, at run time, because a `where` written in YAML is rendered when the
    project is parsed, and a parse can be reused by later invocations.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- if '__written_by_this_build__' in where -%}
            {%- set scope = clario.written_by_this_build(model.attached_node) -%}
            {%- set where = where | replace('__written_by_this_build__', scope) -%}
        {%- endif -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
