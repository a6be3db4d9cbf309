-- every seller's rows of one raw table: macros/raw_table.sql
-- depends_on: {{ source('spapi', 'inventory_ledger') }}
{%- set string = dbt.type_string() -%}
{%- set timestamp = clario.type_timestamp_tz() -%}
{%- set boolean = dbt.type_boolean() %}

{{
    clario.raw_table(
        'inventory_ledger',
        [
            ('ledger_row_key',          string),
            ('ledger_date',             string),
            ('date_and_time',           timestamp),
            ('fnsku',                   string),
            ('asin',                    string),
            ('msku',                    string),
            ('title',                   string),
            ('event_type',              string),
            ('reference_id',            string),
            ('quantity',                string),
            ('fulfillment_center',      string),
            ('disposition',             string),
            ('reason',                  string),
            ('country',                 string),
            ('reconciled_quantity',     string),
            ('unreconciled_quantity',   string),
            ('marketplace_id',          string),
            ('is_sandbox',              boolean),
            ('source_report',           string),
            ('_dlt_load_id',            string)
        ]
    )
}}
