-- every seller's rows of one raw table: macros/raw_table.sql
-- depends_on: {{ source('spapi', 'inbound_shipments') }}
{%- set string = dbt.type_string() -%}
{%- set timestamp = clario.type_timestamp_tz() -%}
{%- set money = clario.type_money() -%}
{%- set bigint = dbt.type_bigint() -%}
{%- set boolean = dbt.type_boolean() %}

{{
    clario.raw_table(
        'inbound_shipments',
        [
            ('shipment_id',                                string),
            ('shipment_name',                              string),
            ('destination_fulfillment_center_id',          string),
            ('shipment_status',                            string),
            ('label_prep_type',                            string),
            ('are_cases_required',                         boolean),
            ('box_contents_source',                        string),
            ('last_updated_before',                        timestamp),
            ('ship_from_address__name',                    string),
            ('ship_from_address__city',                    string),
            ('ship_from_address__state_or_province_code',  string),
            ('ship_from_address__country_code',            string),
            ('ship_from_address__postal_code',             string),
            ('marketplace_id',                             string),
            ('is_sandbox',                                 boolean),
            ('source_report',                              string),
            ('_dlt_load_id',                               string),
            ('_dlt_id',                                    string)
        ]
    )
}}
