-- every seller's rows of one raw table: macros/raw_table.sql
{%- set string = dbt.type_string() -%}
{%- set timestamp = clario.type_timestamp_tz() -%}
{%- set money = clario.type_raw_money() -%}
{%- set bigint = dbt.type_bigint() -%}
{%- set boolean = dbt.type_boolean() %}

{{
    clario.raw_table(
        'adjustment_events__adjustment_item_list',
        [
            ('seller_sku',                        string),
            ('fn_sku',                            string),
            ('asin',                              string),
            ('product_description',               string),
            ('transaction_number',                string),
            ('quantity',                          string),
            ('total_amount__currency_code',       string),
            ('total_amount__currency_amount',     money),
            ('per_unit_amount__currency_code',    string),
            ('per_unit_amount__currency_amount',  money),
            ('_dlt_parent_id',                    string),
            ('_dlt_root_load_id',                 string),
            ('_dlt_list_idx',                     bigint),
            ('_dlt_id',                           string)
        ]
    )
}}
