-- every seller's rows of one raw table: macros/raw_table.sql
{%- set string = dbt.type_string() -%}
{%- set timestamp = clario.type_timestamp_tz() -%}
{%- set money = clario.type_money() -%}
{%- set bigint = dbt.type_bigint() -%}
{%- set boolean = dbt.type_boolean() %}

{{
    clario.raw_table(
        'refund_events__shipment_item_adjustment_list',
        [
            ('order_adjustment_item_id',  string),
            ('seller_sku',                string),
            ('quantity_shipped',          bigint),
            ('_dlt_parent_id',            string),
            ('_dlt_root_load_id',         string),
            ('_dlt_list_idx',             bigint),
            ('_dlt_id',                   string)
        ]
    )
}}
