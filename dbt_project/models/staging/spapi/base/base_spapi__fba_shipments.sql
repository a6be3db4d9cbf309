-- every seller's rows of one raw table: macros/raw_table.sql
-- depends_on: {{ source('spapi', 'fba_shipments') }}
{%- set string = dbt.type_string() -%}
{%- set timestamp = clario.type_timestamp_tz() -%}
{%- set money = clario.type_money() -%}
{%- set bigint = dbt.type_bigint() -%}
{%- set boolean = dbt.type_boolean() %}

{{
    clario.raw_table(
        'fba_shipments',
        [
            ('amazon_order_id',          string),
            ('merchant_order_id',        string),
            ('shipment_id',              string),
            ('shipment_item_id',         string),
            ('amazon_order_item_id',     string),
            ('purchase_date',            timestamp),
            ('payments_date',            timestamp),
            ('shipment_date',            timestamp),
            ('reporting_date',           timestamp),
            ('estimated_arrival_date',   timestamp),
            ('sku',                      string),
            ('product_name',             string),
            ('quantity_shipped',         string),
            ('currency',                 string),
            ('item_price',               string),
            ('item_tax',                 string),
            ('shipping_price',           string),
            ('shipping_tax',             string),
            ('gift_wrap_price',          string),
            ('gift_wrap_tax',            string),
            ('item_promotion_discount',  string),
            ('ship_promotion_discount',  string),
            ('ship_service_level',       string),
            ('carrier',                  string),
            ('tracking_number',          string),
            ('fulfillment_center_id',    string),
            ('fulfillment_channel',      string),
            ('sales_channel',            string),
            ('ship_city',                string),
            ('ship_state',               string),
            ('ship_postal_code',         string),
            ('ship_country',             string),
            ('marketplace_id',           string),
            ('is_sandbox',               boolean),
            ('source_report',            string),
            ('_dlt_load_id',             string),
            ('_dlt_id',                  string)
        ]
    )
}}
