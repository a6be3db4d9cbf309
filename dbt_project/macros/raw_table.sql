{#-
    One raw table, as the base models read it: every seller's rows of `<raw schema>.<table>`.

    Sellers share one raw dataset (`var('raw_schema')`, `raw_spapi` by default); each row
    names its seller in `seller_id` (dlt copies it into nested rows too). The macro asks
    the database which of the wanted columns the table has, and selects every wanted column
    cast to its declared type, or a typed null where the table lacks it (dlt adds a column
    only once it has seen a value). Without the table (nothing synced yet, a table Amazon
    never filled) it yields an empty relation with the same typed columns.

    `columns` is a list of (name, type) pairs. `per_seller=false` is for dlt's own tables
    without a seller (`_dlt_loads`). `var('sellers')` may narrow the build to some sellers.
-#}
{% macro raw_table(table, columns, per_seller=true) %}
    {%- set relation = api.Relation.create(
        database=target.database,
        schema=clario.raw_schema(),
        identifier=clario.raw_table_identifier(table),
    ) -%}
    {%- set present = [] -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do present.append(column.name) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set string = dbt.type_string() %}
    select
        {%- if per_seller %}
        {{ "cast(seller_id as " ~ string ~ ")" if present else "cast(null as " ~ string ~ ")" }}
            as seller_id,
        {%- endif %}
        {%- for name, type in columns %}
        {%- if name in present %}
        cast({{ adapter.quote(name) }} as {{ type }}) as {{ name }}{{ "," if not loop.last }}
        {%- else %}
        cast(null as {{ type }}) as {{ name }}{{ "," if not loop.last }}
        {%- endif %}
        {%- endfor %}
    {%- if present %}
    from {{ relation }}
    {%- if per_seller %}
    where {{ clario.sellers_wanted('seller_id') }}
    {%- endif %}
    {%- else %}
    where 1 = 0
    {%- endif %}
{% endmacro %}


{#-
    A schema name from configuration: it reaches SQL (quoted as an identifier by dbt), so
    it is held to the form dlt gives datasets, and anything else stops the build.
-#}
{% macro checked_schema_name(name, what) %}
    {%- if not modules.re.match('^[a-z][a-z0-9_]{0,39}$', name | string) -%}
        {{- exceptions.raise_compiler_error(
            what ~ " " ~ (name | string | tojson) ~ " is not a usable schema name: lower-case"
            ~ " letters, digits and _, starting with a letter, at most 40 characters"
        ) -}}
    {%- endif -%}
    {{- return(name) -}}
{% endmacro %}


{#- The raw dataset every seller's sync loads into (CLARIO_RAW_SCHEMA). -#}
{% macro raw_schema() %}
    {{- return(clario.checked_schema_name(
        var('raw_schema', env_var('CLARIO_RAW_SCHEMA', 'raw_spapi')), 'raw schema (CLARIO_RAW_SCHEMA)'
    )) -}}
{% endmacro %}


{#- The audit dataset: the sellers, their syncs and builds (CLARIO_AUDIT_SCHEMA). -#}
{% macro audit_schema() %}
    {{- return(clario.checked_schema_name(
        var('audit_schema', env_var('CLARIO_AUDIT_SCHEMA', 'raw_clario_audit')),
        'audit schema (CLARIO_AUDIT_SCHEMA)'
    )) -}}
{% endmacro %}


{#-
    The sellers a build is narrowed to: `var('sellers')`, a list of seller ids (or a
    comma-separated string); empty (the default) means every seller in the warehouse. Each
    must be a merchant token (upper-case letters and digits): it is written into SQL.
-#}
{% macro seller_ids() %}
    {%- set sellers = var('sellers') -%}
    {%- if sellers is string -%}
        {%- set sellers = sellers.split(',') | map('trim') | reject('equalto', '') | list -%}
    {%- endif -%}
    {%- set checked = [] -%}
    {%- for seller_id in sellers -%}
        {%- if not modules.re.match('^[A-Z0-9]{1,32}$', seller_id | string) -%}
            {{- exceptions.raise_compiler_error(
                "var sellers: " ~ (seller_id | string | tojson)
                ~ " is not a seller id (an Amazon merchant token: upper-case letters and digits)"
            ) -}}
        {%- endif -%}
        {%- do checked.append(seller_id | string) -%}
    {%- endfor -%}
    {{- return(checked) -}}
{% endmacro %}


{#- `true`, or `<column> in (...)` when `var('sellers')` narrows the build. -#}
{% macro sellers_wanted(column) %}
    {%- set sellers = clario.seller_ids() -%}
    {%- if sellers | length == 0 -%}
        {{- return('1 = 1') -}}
    {%- endif -%}
    {{- return(column ~ " in ('" ~ (sellers | join("', '")) ~ "')") -}}
{% endmacro %}


{#-
    The sellers the warehouse holds (the extractor's `sellers` table), narrowed by
    `var('sellers')`: their ids, [] while parsing or when there is no such table.
-#}
{% macro registered_seller_ids() %}
    {%- if not execute -%}
        {{- return([]) -}}
    {%- endif -%}
    {%- set relation = adapter.get_relation(
        database=target.database, schema=clario.audit_schema(), identifier='sellers'
    ) -%}
    {%- if relation is none -%}
        {{- return([]) -}}
    {%- endif -%}
    {%- set query -%}
        select seller_id from {{ relation }}
        where {{ clario.sellers_wanted('seller_id') }}
        order by seller_id
    {%- endset -%}
    {{- return(run_query(query).columns[0].values() | list) -}}
{% endmacro %}


{#-
    on-run-start, for every command: the configured schema names, sellers and the vars
    written into SQL (macros/checked_vars.sql) are checked
    before any SQL uses them (sources quote the names but cannot check them). Then a
    `dbt run` or `dbt build` that finds no seller stops before it touches a mart, with
    what to do, instead of building empty marts over full ones.
-#}
{% macro require_sellers() %}
    {%- do clario.raw_schema() -%}
    {%- do clario.audit_schema() -%}
    {%- do clario.seller_ids() -%}
    {%- do clario.check_vars() -%}
    {%- if execute and flags.WHICH in ('run', 'build') -%}
        {%- set found = clario.registered_seller_ids() -%}
        {%- if found | length == 0 -%}
            {{- exceptions.raise_compiler_error(
                "No seller found in " ~ clario.audit_schema() ~ ".sellers"
                ~ (" among var sellers " ~ (clario.seller_ids() | tojson) if clario.seller_ids() else "")
                ~ " of the warehouse at this target: sync one first (`clario sync`), or point"
                ~ " the profile at the warehouse a sync wrote (CLARIO_DUCKDB_PATH)."
            ) -}}
        {%- endif -%}
    {%- endif -%}
    {{- return('select 1') -}}
{% endmacro %}
