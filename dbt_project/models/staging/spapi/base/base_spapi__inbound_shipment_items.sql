-- every seller's rows of one raw table: macros/raw_table.sql
-- depends_on: {{ source('spapi', 'inbound_shipment_items') }}
{%- set string = dbt.type_string() -%}
{%- set timestamp = clario.type_timestamp_tz() -%}
{%- set money = clario.type_money() -%}
{%- set bigint = dbt.type_bigint() -%}
{%- set boolean = dbt.type_boolean() %}

{{
    clario.raw_table(
        'inbound_shipment_items',
        [
            ('shipment_id',              string),
            ('seller_sku',               string),
            ('fulfillment_network_sku',  string),
            ('quantity_shipped',         bigint),
            ('quantity_received',        bigint),
            ('quantity_in_case',         bigint),
            ('last_updated_before',      timestamp),
            ('marketplace_id',           string),
            ('is_sandbox',               boolean),
            ('source_report',            string),
            ('_dlt_load_id',             string),
            ('_dlt_id',                  string)
        ]
    )
}}
