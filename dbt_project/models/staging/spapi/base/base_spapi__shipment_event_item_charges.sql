-- every seller's rows of one raw table: macros/raw_table.sql
{%- set string = dbt.type_string() -%}
{%- set timestamp = clario.type_timestamp_tz() -%}
{%- set money = clario.type_raw_money() -%}
{%- set bigint = dbt.type_bigint() -%}
{%- set boolean = dbt.type_boolean() %}

{{
    clario.raw_table(
        'shipment_events__shipment_item_list__item_charge_list',
        [
            ('charge_type',                     string),
            ('charge_amount__currency_code',    string),
            ('charge_amount__currency_amount',  money),
            ('_dlt_parent_id',                  string),
            ('_dlt_root_load_id',               string),
            ('_dlt_list_idx',                   bigint),
            ('_dlt_id',                         string)
        ]
    )
}}
