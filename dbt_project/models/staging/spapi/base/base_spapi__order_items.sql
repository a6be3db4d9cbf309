-- every seller's rows of one raw table: macros/raw_table.sql
{%- set string = dbt.type_string() -%}
{%- set timestamp = clario.type_timestamp_tz() -%}
{%- set money = clario.type_money() -%}
{%- set bigint = dbt.type_bigint() -%}
{%- set boolean = dbt.type_boolean() %}

{{
    clario.raw_table(
        'orders__order_items',
        [
            ('order_item_id',                              string),
            ('quantity_ordered',                           bigint),
            ('fulfillment__quantity_fulfilled',            bigint),
            ('fulfillment__quantity_unfulfilled',          bigint),
            ('product__asin',                              string),
            ('product__title',                             string),
            ('product__seller_sku',                        string),
            ('product__condition__condition_type',         string),
            ('product__price__unit_price__amount',         string),
            ('product__price__unit_price__currency_code',  string),
            ('proceeds__proceeds_total__amount',           string),
            ('proceeds__proceeds_total__currency_code',    string),
            ('_dlt_parent_id',                             string),
            ('_dlt_root_load_id',                          string),
            ('_dlt_list_idx',                              bigint),
            ('_dlt_id',                                    string)
        ]
    )
}}
