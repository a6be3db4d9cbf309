-- every seller's rows of one raw table: macros/raw_table.sql
-- depends_on: {{ source('spapi', '_dlt_loads') }}
{%- set string = dbt.type_string() -%}
{%- set timestamp = clario.type_timestamp_tz() -%}
{%- set money = clario.type_money() -%}
{%- set bigint = dbt.type_bigint() -%}
{%- set boolean = dbt.type_boolean() %}

{{
    clario.raw_table(
        '_dlt_loads',
        [
            ('load_id',      string),
            ('schema_name',  string),
            ('status',       bigint),
            ('inserted_at',  timestamp)
        ],
        per_seller=false
    )
}}
