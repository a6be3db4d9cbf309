{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['seller_id', 'order_id'],
        on_schema_change='append_new_columns',
        indexes=clario.mart_indexes([
            ['user_id'],
            ['seller_id'],
            ['seller_id', 'order_id'],
            ['seller_id', 'order_item_id'],
            ['transformed_at'],
        ]),
    )
}}

with

order_items as (

    select * from {{ ref('int_order_items_priced') }}
    where
        not has_cast_error
        and {{ clario.new_loads_filter() }}

),

sellers as (

    select * from {{ ref('stg_clario__sellers') }}

),

loads as (

    select * from {{ ref('stg_spapi__dlt_loads') }}

),

final as (

    select
        -- ids
        sellers.user_id,
        order_items.seller_id,
        order_items.marketplace_id,
        order_items.order_item_id,
        order_items.order_id,
        order_items.sku,
        order_items.asin,

        -- numerics
        order_items.quantity_ordered as units_ordered,
        order_items.quantity_shipped as units_shipped,
        order_items.item_price,
        order_items.item_tax,
        order_items.promotion_discount,
        order_items.currency,

        -- flags
        order_items.is_order_item_id_surrogate,
        order_items.is_sandbox,

        -- lineage
        order_items.source_report,
        loads.loaded_at as synced_at,
        order_items._dlt_load_id,
        {{ clario.build_started_at() }} as transformed_at

    from order_items
    left join loads
        on
            order_items._dlt_load_id = loads.load_id
    left join sellers
        on
            order_items.seller_id = sellers.seller_id

)

select * from final
