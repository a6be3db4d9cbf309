-- every seller's rows of one raw table: macros/raw_table.sql
-- depends_on: {{ source('spapi', 'reimbursements') }}
{%- set string = dbt.type_string() -%}
{%- set timestamp = clario.type_timestamp_tz() -%}
{%- set money = clario.type_money() -%}
{%- set bigint = dbt.type_bigint() -%}
{%- set boolean = dbt.type_boolean() %}

{{
    clario.raw_table(
        'reimbursements',
        [
            ('approval_date',                  timestamp),
            ('reimbursement_id',               string),
            ('case_id',                        string),
            ('amazon_order_id',                string),
            ('reason',                         string),
            ('sku',                            string),
            ('fnsku',                          string),
            ('asin',                           string),
            ('product_name',                   string),
            ('condition',                      string),
            ('currency_unit',                  string),
            ('amount_per_unit',                string),
            ('amount_total',                   string),
            ('quantity_reimbursed_cash',       string),
            ('quantity_reimbursed_inventory',  string),
            ('quantity_reimbursed_total',      string),
            ('original_reimbursement_id',      string),
            ('original_reimbursement_type',    string),
            ('marketplace_id',                 string),
            ('is_sandbox',                     boolean),
            ('source_report',                  string),
            ('_dlt_load_id',                   string),
            ('_dlt_id',                        string)
        ]
    )
}}
