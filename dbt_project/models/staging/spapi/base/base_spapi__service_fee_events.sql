-- every seller's rows of one raw table: macros/raw_table.sql
-- depends_on: {{ source('spapi', 'service_fee_events') }}
{%- set string = dbt.type_string() -%}
{%- set timestamp = clario.type_timestamp_tz() -%}
{%- set money = clario.type_money() -%}
{%- set bigint = dbt.type_bigint() -%}
{%- set boolean = dbt.type_boolean() %}

{{
    clario.raw_table(
        'service_fee_events',
        [
            ('event_id',                  string),
            ('event_list',                string),
            ('financial_event_group_id',  string),
            ('fee_reason',                string),
            ('fee_description',           string),
            ('amazon_order_id',           string),
            ('seller_sku',                string),
            ('posted_date',               timestamp),
            ('marketplace_id',            string),
            ('is_sandbox',                boolean),
            ('source_report',             string),
            ('_dlt_load_id',              string),
            ('_dlt_id',                   string)
        ]
    )
}}
