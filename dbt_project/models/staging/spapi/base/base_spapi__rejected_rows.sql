-- every seller's rows of one raw table: macros/raw_table.sql
-- depends_on: {{ source('spapi', 'rejected_rows') }}
{%- set string = dbt.type_string() -%}
{%- set timestamp = clario.type_timestamp_tz() -%}
{%- set money = clario.type_money() -%}
{%- set bigint = dbt.type_bigint() -%}
{%- set boolean = dbt.type_boolean() %}

{{
    clario.raw_table(
        'rejected_rows',
        [
            ('rejected_row_id',  string),
            ('resource',         string),
            ('line_number',      bigint),
            ('raw_line',         string),
            ('reason',           string),
            ('marketplace_id',   string),
            ('is_sandbox',       boolean),
            ('source_report',    string),
            ('_dlt_load_id',     string),
            ('_dlt_id',          string)
        ]
    )
}}
