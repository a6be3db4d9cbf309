-- one row per seller, record and raw table: how many of the record's rows hold a value
-- that does not cast (they are left out of the marts). A record is what dlt replaces as
-- a whole when Amazon sends it again: an order with its items and their breakdowns, a
-- report row, a financial event with its items. Rows of records that cast cleanly are
-- dropped after each run, except the newest load's, which keep the watermark.
{#- (raw table, staging model, the record's key: dlt's merge key of the root table) -#}
{%- set checked = [
    ('orders', 'stg_spapi__orders', ["'order'", 'order_id']),
    ('orders__order_items', 'stg_spapi__order_items', ["'order'", 'order_id']),
    (
        'orders__order_items__proceeds__breakdowns',
        'stg_spapi__order_item_proceeds_breakdowns',
        ["'order'", 'order_id'],
    ),
    ('fba_shipments', 'stg_spapi__fba_shipments', ["'shipment'", 'shipment_id', 'shipment_item_id']),
    (
        'customer_returns',
        'stg_spapi__customer_returns',
        ["'return'", 'order_id', 'sku', 'returned_at', 'license_plate_number'],
    ),
    ('reimbursements', 'stg_spapi__reimbursements', ["'reimbursement'", 'reimbursement_id', 'sku']),
    ('adjustment_events__adjustment_item_list', 'stg_spapi__adjustment_event_items', ["'event'", 'event_id']),
    ('inventory_ledger', 'stg_spapi__inventory_ledger', ["'ledger_event'", 'ledger_event_id']),
    (
        'inventory_ledger_summary',
        'stg_spapi__inventory_ledger_summary',
        ["'ledger_balance'", 'balance_date', 'sku', 'fnsku', 'disposition', 'location'],
    ),
] -%}
{#- the record key is the delete key: a record sent again replaces every count it had -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['seller_id', 'record_key'],
        pre_hook="{{ clario.without_jit() }}",
        post_hook="
            delete from {{ this }}
            where
                failed_rows = 0
                and seller_id || '|' || _dlt_load_id not in (
                    select seller_id || '|' || max(_dlt_load_id) from {{ this }}
                    group by seller_id
                )
        ",
    )
}}

{#- the watermarks read, and the filter written, once for the nine tables -#}
{%- set new_loads = clario.new_loads_filter() %}

with

rows_checked as (

    {%- for resource, model, key in checked %}
        {%- if not loop.first %}

            union all
        {%- endif %}

        select
            seller_id,
            '{{ resource }}' as resource,
            {{ clario.record_key(key) }} as record_key,
            has_cast_error,
            _dlt_load_id
        from {{ ref(model) }}
        where {{ new_loads }}
    {%- endfor %}

),

counted as (

    select
        seller_id,
        record_key,
        resource,
        cast(sum(case when has_cast_error then 1 else 0 end) as {{ dbt.type_bigint() }})
            as failed_rows,
        max(_dlt_load_id) as _dlt_load_id

    from rows_checked
    group by seller_id, record_key, resource

)

select * from counted
