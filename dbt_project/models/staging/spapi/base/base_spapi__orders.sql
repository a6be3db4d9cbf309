-- every seller's rows of one raw table: macros/raw_table.sql
-- depends_on: {{ source('spapi', 'orders') }}
{%- set string = dbt.type_string() -%}
{%- set timestamp = clario.type_timestamp_tz() -%}
{%- set money = clario.type_money() -%}
{%- set bigint = dbt.type_bigint() -%}
{%- set boolean = dbt.type_boolean() %}

{{
    clario.raw_table(
        'orders',
        [
            ('order_id',                                string),
            ('created_time',                            timestamp),
            ('last_updated_time',                       timestamp),
            ('fulfillment__fulfillment_status',         string),
            ('fulfillment__fulfilled_by',               string),
            ('fulfillment__fulfillment_service_level',  string),
            ('sales_channel__channel_name',             string),
            ('sales_channel__marketplace_id',           string),
            ('sales_channel__marketplace_name',         string),
            ('proceeds__grand_total__amount',           string),
            ('proceeds__grand_total__currency_code',    string),
            ('marketplace_id',                          string),
            ('is_sandbox',                              boolean),
            ('source_report',                           string),
            ('_dlt_load_id',                            string),
            ('_dlt_id',                                 string)
        ]
    )
}}
