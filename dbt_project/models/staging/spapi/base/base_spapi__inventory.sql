-- every seller's rows of one raw table: macros/raw_table.sql
-- depends_on: {{ source('spapi', 'inventory') }}
{%- set string = dbt.type_string() -%}
{%- set timestamp = clario.type_timestamp_tz() -%}
{%- set bigint = dbt.type_bigint() -%}
{%- set boolean = dbt.type_boolean() %}

{{
    clario.raw_table(
        'inventory',
        [
            ('snapshot_date',                       string),
            ('snapshot_at',                         timestamp),
            ('seller_sku',                          string),
            ('fn_sku',                              string),
            ('asin',                                string),
            ('condition',                           string),
            ('product_name',                        string),
            ('last_updated_time',                   timestamp),
            ('total_quantity',                      bigint),
            ('fulfillable_quantity',                bigint),
            ('inbound_working_quantity',            bigint),
            ('inbound_shipped_quantity',            bigint),
            ('inbound_receiving_quantity',          bigint),
            ('reserved_quantity',                   bigint),
            ('pending_customer_order_quantity',     bigint),
            ('pending_transshipment_quantity',      bigint),
            ('fc_processing_quantity',              bigint),
            ('researching_quantity',                bigint),
            ('unfulfillable_quantity',              bigint),
            ('customer_damaged_quantity',           bigint),
            ('warehouse_damaged_quantity',          bigint),
            ('distributor_damaged_quantity',        bigint),
            ('carrier_damaged_quantity',            bigint),
            ('defective_quantity',                  bigint),
            ('expired_quantity',                    bigint),
            ('marketplace_id',                      string),
            ('is_sandbox',                          boolean),
            ('source_report',                       string),
            ('_dlt_load_id',                        string)
        ]
    )
}}
