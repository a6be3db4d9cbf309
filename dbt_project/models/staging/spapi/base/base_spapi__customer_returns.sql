-- every seller's rows of one raw table: macros/raw_table.sql
-- depends_on: {{ source('spapi', 'customer_returns') }}
{%- set string = dbt.type_string() -%}
{%- set timestamp = clario.type_timestamp_tz() -%}
{%- set money = clario.type_money() -%}
{%- set bigint = dbt.type_bigint() -%}
{%- set boolean = dbt.type_boolean() %}

{{
    clario.raw_table(
        'customer_returns',
        [
            ('return_date',            timestamp),
            ('order_id',               string),
            ('sku',                    string),
            ('asin',                   string),
            ('fnsku',                  string),
            ('product_name',           string),
            ('quantity',               string),
            ('fulfillment_center_id',  string),
            ('detailed_disposition',   string),
            ('reason',                 string),
            ('status',                 string),
            ('license_plate_number',   string),
            ('customer_comments',      string),
            ('marketplace_id',         string),
            ('is_sandbox',             boolean),
            ('source_report',          string),
            ('_dlt_load_id',           string),
            ('_dlt_id',                string)
        ]
    )
}}
