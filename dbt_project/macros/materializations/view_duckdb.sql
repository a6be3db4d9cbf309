{#-
    Views on DuckDB: recreated only when their SQL changed.

    After a sync, an incremental build spent a quarter of its time recreating the staging
    and intermediate views (about 0.1 s each, data or not) to the same definitions. This
    materialization writes a fingerprint of the compiled SQL into the view's comment, and
    the next build leaves a view whose fingerprint matches as it is. The compiled SQL holds
    everything the view depends on: the raw columns each seller's table has (the base
    unions ask the database at compile time) and the sellers listed in the vars.

    Safe on DuckDB only: it binds a view's query again each time the view is read, so a
    view stays right when an upstream relation is replaced. Postgres binds views when they
    are created, and a replaced upstream would drop them, so there dbt's own view
    materialization runs. It runs on DuckDB too for a `--full-refresh`, when docs are
    persisted as comments, and for a view with an enforced contract or hooks
    (`sync_status`): its contract is checked, and its hooks run, when it is created.
-#}
{%- materialization view, adapter='duckdb' -%}
    {%- set fingerprint = 'clario view ' ~ local_md5(sql) -%}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set persists_comments = config.get('persist_docs', {}).get('relation', false) -%}

    {#- a contract is checked, and hooks run, when the view is created: those always are -#}
    {%- set checked_or_hooked = config.get('contract').enforced
        or pre_hooks | length > 0 or post_hooks | length > 0 -%}

    {%- if existing_relation is not none and existing_relation.is_view
        and not should_full_refresh() and not persists_comments and not checked_or_hooked -%}
        {%- set found = run_query(
            "select comment from duckdb_views()"
            ~ " where database_name = '" ~ this.database ~ "'"
            ~ " and schema_name = '" ~ this.schema ~ "'"
            ~ " and view_name = '" ~ this.identifier ~ "'"
        ) -%}
        {%- if found.rows | length == 1 and found.rows[0][0] == fingerprint -%}
            {%- call noop_statement('main', 'UNCHANGED') -%}{%- endcall -%}
            {{- return({'relations': [this.incorporate(type='view')]}) -}}
        {%- endif -%}
    {%- endif -%}

    {%- set built = materialization_view_default() -%}
    {%- if not persists_comments -%}
        {#- after the view's own commit: outside a transaction, as post-hooks run -#}
        {%- call statement('fingerprint', auto_begin=False) -%}
            comment on view {{ this }} is '{{ fingerprint }}'
        {%- endcall -%}
    {%- endif -%}
    {{- return(built) -}}
{%- endmaterialization -%}
