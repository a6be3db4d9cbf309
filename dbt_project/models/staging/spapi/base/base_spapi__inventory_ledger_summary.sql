-- every seller's rows of one raw table: macros/raw_table.sql
-- depends_on: {{ source('spapi', 'inventory_ledger_summary') }}
{%- set string = dbt.type_string() -%}
{%- set boolean = dbt.type_boolean() %}

{{
    clario.raw_table(
        'inventory_ledger_summary',
        [
            ('ledger_date',                     string),
            ('fnsku',                           string),
            ('asin',                            string),
            ('msku',                            string),
            ('title',                           string),
            ('disposition',                     string),
            ('starting_warehouse_balance',      string),
            ('in_transit_between_warehouses',   string),
            ('receipts',                        string),
            ('customer_shipments',              string),
            ('customer_returns',                string),
            ('vendor_returns',                  string),
            ('warehouse_transfer_in_out',       string),
            ('found',                           string),
            ('lost',                            string),
            ('damaged',                         string),
            ('disposed',                        string),
            ('other_events',                    string),
            ('ending_warehouse_balance',        string),
            ('unknown_events',                  string),
            ('location',                        string),
            ('marketplace_id',                  string),
            ('is_sandbox',                      boolean),
            ('source_report',                   string),
            ('_dlt_load_id',                    string)
        ]
    )
}}
