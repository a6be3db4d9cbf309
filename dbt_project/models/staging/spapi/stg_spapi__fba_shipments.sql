with

source as (

    select * from {{ ref('base_spapi__fba_shipments') }}

),

renamed as (

    select
        -- ids
        seller_id,
        marketplace_id,
        shipment_id,
        shipment_item_id,
        amazon_order_id as order_id,
        amazon_order_item_id as order_item_id,
        nullif(merchant_order_id, '') as merchant_order_id,
        sku,
        nullif(tracking_number, '') as tracking_number,

        -- dates
        purchase_date as purchased_at,
        payments_date as paid_at,
        shipment_date as shipped_at,
        reporting_date as reported_at,
        estimated_arrival_date as estimated_arrival_at,

        -- categories
        nullif(carrier, '') as carrier,
        fulfillment_center_id,
        fulfillment_channel,
        sales_channel,
        ship_service_level,
        ship_city,
        ship_state,
        ship_postal_code,
        ship_country,

        -- numerics
        {{ clario.safe_cast_integer('quantity_shipped') }} as quantity_shipped,
        {{ clario.safe_cast_money('item_price') }} as item_price,
        {{ clario.safe_cast_money('item_tax') }} as item_tax,
        {{ clario.safe_cast_money('shipping_price') }} as shipping_price,
        {{ clario.safe_cast_money('shipping_tax') }} as shipping_tax,
        {{ clario.safe_cast_money('gift_wrap_price') }} as gift_wrap_price,
        {{ clario.safe_cast_money('gift_wrap_tax') }} as gift_wrap_tax,
        {{ clario.safe_cast_money('item_promotion_discount') }} as item_promotion_discount,
        {{ clario.safe_cast_money('ship_promotion_discount') }} as ship_promotion_discount,
        currency,

        -- flags
        is_sandbox,
        {{ clario.any_cast_failed(
            integers=['quantity_shipped'],
            money=[
                'item_price',
                'item_tax',
                'shipping_price',
                'shipping_tax',
                'gift_wrap_price',
                'gift_wrap_tax',
                'item_promotion_discount',
                'ship_promotion_discount',
            ],
        ) }} as has_cast_error,

        -- lineage
        source_report,
        _dlt_load_id

    from source

)

select * from renamed
