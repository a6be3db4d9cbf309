-- every seller's rows of one raw table: macros/raw_table.sql
-- depends_on: {{ source('spapi', 'financial_event_groups') }}
{%- set string = dbt.type_string() -%}
{%- set timestamp = clario.type_timestamp_tz() -%}
{%- set money = clario.type_raw_money() -%}
{%- set bigint = dbt.type_bigint() -%}
{%- set boolean = dbt.type_boolean() %}

{{
    clario.raw_table(
        'financial_event_groups',
        [
            ('financial_event_group_id',            string),
            ('processing_status',                   string),
            ('fund_transfer_status',                string),
            ('financial_event_group_start',         timestamp),
            ('financial_event_group_end',           timestamp),
            ('fund_transfer_date',                  timestamp),
            ('account_tail',                        string),
            ('trace_id',                            string),
            ('original_total__currency_code',       string),
            ('original_total__currency_amount',     money),
            ('converted_total__currency_code',      string),
            ('converted_total__currency_amount',    money),
            ('beginning_balance__currency_code',    string),
            ('beginning_balance__currency_amount',  money),
            ('marketplace_id',                      string),
            ('is_sandbox',                          boolean),
            ('source_report',                       string),
            ('_dlt_load_id',                        string),
            ('_dlt_id',                             string)
        ]
    )
}}
