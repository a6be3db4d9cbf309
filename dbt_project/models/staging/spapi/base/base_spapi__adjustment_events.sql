-- every seller's rows of one raw table: macros/raw_table.sql
-- depends_on: {{ source('spapi', 'adjustment_events') }}
{%- set string = dbt.type_string() -%}
{%- set timestamp = clario.type_timestamp_tz() -%}
{%- set money = clario.type_raw_money() -%}
{%- set bigint = dbt.type_bigint() -%}
{%- set boolean = dbt.type_boolean() %}

{{
    clario.raw_table(
        'adjustment_events',
        [
            ('event_id',                            string),
            ('event_list',                          string),
            ('financial_event_group_id',            string),
            ('adjustment_type',                     string),
            ('posted_date',                         timestamp),
            ('adjustment_amount__currency_code',    string),
            ('adjustment_amount__currency_amount',  money),
            ('marketplace_id',                      string),
            ('is_sandbox',                          boolean),
            ('source_report',                       string),
            ('_dlt_load_id',                        string),
            ('_dlt_id',                             string)
        ]
    )
}}
