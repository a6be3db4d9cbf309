-- one row per seller, order and item: the item with its proceeds breakdowns as columns
with

order_items as (

    select * from {{ ref('stg_spapi__order_items') }}

),

breakdowns as (

    select * from {{ ref('stg_spapi__order_item_proceeds_breakdowns') }}

),

breakdowns_pivoted as (

    select
        seller_id,
        order_id,
        item_index,
        _dlt_load_id,
        cast(
            sum(case when breakdown_type = 'item' then amount end) as {{ clario.type_money() }}
        ) as item_price,
        cast(
            sum(case when breakdown_type = 'tax' then amount end) as {{ clario.type_money() }}
        ) as item_tax,
        -- Amazon sends the discount as a negative subtotal; kept as the positive amount off
        cast(
            -sum(case when breakdown_type = 'discount' then amount end)
            as {{ clario.type_money() }}
        ) as promotion_discount,
        max(currency) as currency,
        max(case when has_cast_error then 1 else 0 end) = 1 as has_cast_error

    from breakdowns
    group by seller_id, order_id, item_index, _dlt_load_id

),

priced as (

    select
        -- ids
        order_items.seller_id,
        order_items.marketplace_id,
        order_items.order_id,
        -- items backfilled from the all-orders report have no id: order id and SKU stand in
        coalesce(
            order_items.order_item_id,
            order_items.order_id || ':' || order_items.sku
        ) as order_item_id,
        order_items.item_index,
        order_items.sku,
        order_items.asin,

        -- numerics
        order_items.quantity_ordered,
        order_items.quantity_shipped,
        breakdowns_pivoted.item_price,
        breakdowns_pivoted.item_tax,
        coalesce(breakdowns_pivoted.promotion_discount, 0) as promotion_discount,
        coalesce(
            breakdowns_pivoted.currency,
            order_items.unit_price_currency,
            order_items.proceeds_currency
        ) as currency,

        -- flags
        order_items.order_item_id is null as is_order_item_id_surrogate,
        order_items.is_sandbox,
        (
            order_items.has_cast_error
            or coalesce(breakdowns_pivoted.has_cast_error, false)
        ) as has_cast_error,

        -- lineage
        order_items.source_report,
        order_items._dlt_load_id

    from order_items
    left join breakdowns_pivoted
        on
            order_items.seller_id = breakdowns_pivoted.seller_id
            and order_items.order_id = breakdowns_pivoted.order_id
            and order_items.item_index = breakdowns_pivoted.item_index

)

select * from priced
