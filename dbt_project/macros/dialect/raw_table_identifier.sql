{#-
    The physical name dlt gives a raw table. Postgres allows 63-character identifiers, so
    dlt shortens longer nested-table names with a hash of the full path
    (`NamingConvention.shorten_fragments`); DuckDB keeps the full name.
-#}
{% macro raw_table_identifier(table) %}
    {{- return(adapter.dispatch('raw_table_identifier', 'clario')(table)) -}}
{% endmacro %}

{% macro default__raw_table_identifier(table) %}
    {{- return(table) -}}
{% endmacro %}

{% macro postgres__raw_table_identifier(table) %}
    {%- set shortened = {
        'refund_events__shipment_item_adjustment_list__item_charge_adjustment_list':
            'refund_events__shipment_item_17zbbq_item_charge_adjustment_list',
        'refund_events__shipment_item_adjustment_list__item_fee_adjustment_list':
            'refund_events__shipment_item_mosjkast__item_fee_adjustment_list',
    } -%}
    {{- return(shortened.get(table, table)) -}}
{% endmacro %}
