with

source as (

    select * from {{ ref('base_spapi__order_items') }}

),

orders as (

    select * from {{ ref('base_spapi__orders') }}

),

renamed as (

    select
        -- ids
        source.seller_id,  -- with `_dlt_load_id` below: the load filter reaches this table
        orders.marketplace_id,
        orders.order_id,
        source.order_item_id,
        source._dlt_list_idx as item_index,
        source.product__seller_sku as sku,
        source.product__asin as asin,

        -- categories
        source.product__title as product_title,
        lower(source.product__condition__condition_type) as item_condition,

        -- numerics
        source.quantity_ordered,
        -- null when Amazon left the optional fulfillment block out: unknown, not zero
        source.fulfillment__quantity_fulfilled as quantity_shipped,
        {{ clario.safe_cast_money('source.product__price__unit_price__amount') }} as unit_price,
        source.product__price__unit_price__currency_code as unit_price_currency,
        {{ clario.safe_cast_money('source.proceeds__proceeds_total__amount') }} as proceeds_total,
        source.proceeds__proceeds_total__currency_code as proceeds_currency,

        -- flags
        orders.is_sandbox,
        (
            {{ clario.cast_failed(
                'source.product__price__unit_price__amount',
                clario.safe_cast_money('source.product__price__unit_price__amount')
            ) }}
            or {{ clario.cast_failed(
                'source.proceeds__proceeds_total__amount',
                clario.safe_cast_money('source.proceeds__proceeds_total__amount')
            ) }}
        ) as has_cast_error,

        -- lineage: an item is loaded with its order
        orders.source_report,
        -- the root row's load id, copied into nested rows (extract/nested_columns.py): a
        -- filter on it reaches this table (and_same_load: on DuckDB, its parents too)
        source._dlt_root_load_id as _dlt_load_id

    from source
    inner join orders
        on
            source.seller_id = orders.seller_id
            and source._dlt_parent_id = orders._dlt_id
            {{ clario.and_same_load('source._dlt_root_load_id', 'orders._dlt_load_id') }}

)

select * from renamed
