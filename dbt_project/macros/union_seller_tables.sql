{#-
    One raw table of every seller in `var('sellers')`, unioned once.

    Each seller's dlt dataset is the schema `raw_spapi_<seller id lowercased>`. The macro
    asks the information schema, in one query, which of those schemas hold the table and
    which of the wanted columns each one has, then selects every wanted column (cast to its
    declared type, or a typed null where a seller's table lacks it: dlt only creates a
    column once it has seen a value). A seller whose table does not exist yet adds no rows;
    when no seller has it, the result is an empty relation with the same typed columns.

    `columns` is a list of (name, type) pairs; every row also gets the `seller_id` of the
    dataset it came from.
-#}
{% macro union_seller_tables(table, columns) %}
    {%- set identifier = clario.raw_table_identifier(table) -%}
    {%- set found = clario.seller_tables_with_columns(identifier) -%}
    {%- if found | length == 0 %}
    select
        cast(null as {{ dbt.type_string() }}) as seller_id,
        {%- for name, type in columns %}
        cast(null as {{ type }}) as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
    where 1 = 0
    {%- else -%}
    {%- for seller_id, present in found %}
    {%- set relation = api.Relation.create(
        database=target.database,
        schema=clario.raw_schema(seller_id),
        identifier=identifier,
    ) %}
    select
        cast('{{ seller_id }}' as {{ dbt.type_string() }}) as seller_id,
        {%- for name, type in columns %}
        {%- if name in present %}
        cast({{ adapter.quote(name) }} as {{ type }}) as {{ name }}{{ "," if not loop.last }}
        {%- else %}
        cast(null as {{ type }}) as {{ name }}{{ "," if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from {{ relation }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- endif %}
{% endmacro %}


{#- The dlt dataset (schema) of a seller. -#}
{% macro raw_schema(seller_id) %}
    {{- return(var('raw_schema_prefix') ~ (seller_id | lower)) -}}
{% endmacro %}


{#- The sellers to read: `var('sellers')`, a list of seller ids (upper-case merchant tokens). -#}
{% macro seller_ids() %}
    {%- set sellers = var('sellers') -%}
    {%- if sellers is string -%}
        {%- set sellers = sellers.split(',') | map('trim') | reject('equalto', '') | list -%}
    {%- endif -%}
    {{- return(sellers | map('upper') | list) -}}
{% endmacro %}


{#-
    [(seller_id, [column, ...]), ...] for the sellers whose dataset holds `identifier`, in
    the order of `var('sellers')`; [] while parsing (nothing is queried then).
-#}
{% macro seller_tables_with_columns(identifier) %}
    {%- set sellers = clario.seller_ids() -%}
    {%- if not execute or sellers | length == 0 -%}
        {{- return([]) -}}
    {%- endif -%}
    {%- set schemas = [] -%}
    {%- for seller_id in sellers -%}
        {%- do schemas.append(clario.raw_schema(seller_id)) -%}
    {%- endfor -%}
    {%- set query -%}
        select table_schema, column_name
        from information_schema.columns
        where
            table_name = '{{ identifier }}'
            and table_schema in ('{{ schemas | join("', '") }}')
    {%- endset -%}
    {%- set rows = run_query(query).rows -%}
    {%- set found = [] -%}
    {%- for seller_id in sellers -%}
        {%- set schema = clario.raw_schema(seller_id) -%}
        {%- set present = [] -%}
        {%- for row in rows if row[0] == schema -%}
            {%- do present.append(row[1]) -%}
        {%- endfor -%}
        {%- if present | length > 0 -%}
            {%- do found.append((seller_id, present)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(found) -}}
{% endmacro %}
