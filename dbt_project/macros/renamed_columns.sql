{#-
    The incremental marts' columns renamed since 0.1.0 (CHANGELOG.md, "Breaking: column
    renames"), old name: new name. Table marts and views are rebuilt whole by every build,
    so only the incremental marts, which keep their rows, need renaming in place.
-#}
{% macro renamed_mart_columns() %}
    {{- return({
        'order_items': {
            'quantity_ordered': 'units_ordered',
            'quantity_shipped': 'units_shipped',
        },
        'shipments': {
            'expected_quantity': 'units_expected',
            'received_quantity': 'units_received',
            'missing_quantity': 'units_missing',
        },
        'returns': {
            'returned_quantity': 'units_returned',
            'ordered_quantity': 'units_ordered',
        },
        'settlements': {
            'quantity': 'units',
            'posted_date': 'posted_at',
        },
        'settlement_fees': {
            'posted_date': 'posted_at',
        },
        'inventory_ledger': {
            'quantity': 'units',
            'reconciled_quantity': 'units_reconciled',
            'unreconciled_quantity': 'units_unreconciled',
        },
        'reimbursements': {
            'quantity_reimbursed_cash': 'units_reimbursed_cash',
            'quantity_reimbursed_inventory': 'units_reimbursed_inventory',
            'quantity_reimbursed_total': 'units_reimbursed_total',
        },
    }) -}}
{% endmacro %}


{#-
    Columns of incremental marts that were declared not null and may now be null (unknown):
    a contract's constraint is only applied when the table is created, so an existing mart
    keeps the old NOT NULL until this drops it (CHANGELOG.md).
-#}
{% macro nullable_mart_columns() %}
    {{- return({
        'orders': ['is_prime'],
    }) -}}
{% endmacro %}


{#-
    A pre-hook of every mart (dbt_project.yml): an incremental mart built before a rename
    has its old columns renamed in place, so the next plain `dbt build` (the flow's) keeps
    its rows, types and not-null constraints instead of failing on the missing columns or
    needing a `--full-refresh`. Renaming is a catalog change, instant whatever the table's
    size. A column whose new name already exists is left alone; with nothing to rename
    (the usual case) it costs one look at the table's columns.
-#}
{% macro migrate_renamed_columns() %}
    {%- set renames = clario.renamed_mart_columns().get(model.name, {}) -%}
    {%- set relaxed = clario.nullable_mart_columns().get(model.name, []) -%}
    {%- if not (execute and (renames or relaxed) and is_incremental()) -%}
        {{- return('select 1') -}}
    {%- endif -%}
    {%- set present = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- for old, new in renames.items() if old in present and new not in present -%}
        {%- do run_query(
            'alter table ' ~ this ~ ' rename column ' ~ adapter.quote(old) ~ ' to ' ~ adapter.quote(new)
        ) -%}
        {%- do log(this.schema ~ '.' ~ this.identifier ~ ': renamed column ' ~ old ~ ' to ' ~ new, info=true) -%}
    {%- endfor -%}
    {%- for column in relaxed if column in present -%}
        {%- do run_query(
            'alter table ' ~ this ~ ' alter column ' ~ adapter.quote(column) ~ ' drop not null'
        ) -%}
    {%- endfor -%}
    {{- return('select 1') -}}
{% endmacro %}
