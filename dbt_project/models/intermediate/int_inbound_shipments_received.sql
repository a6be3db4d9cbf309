-- one row per seller and inbound shipment: units expected and received, derived status
with

shipments as (

    select * from {{ ref('stg_spapi__inbound_shipments') }}

),

items as (

    select * from {{ ref('stg_spapi__inbound_shipment_items') }}

),

items_aggregated as (

    select
        seller_id,
        shipment_id,
        count(*) as item_count,
        cast(sum(quantity_shipped) as {{ dbt.type_bigint() }}) as expected_quantity,
        cast(sum(quantity_received) as {{ dbt.type_bigint() }}) as received_quantity

    from items
    group by seller_id, shipment_id

),

received as (

    select
        shipments.seller_id,
        shipments.marketplace_id,
        shipments.shipment_id,
        shipments.destination_fulfillment_center_id,
        shipments.shipment_status,
        shipments.listed_at,
        coalesce(items_aggregated.item_count, 0) as item_count,
        coalesce(items_aggregated.expected_quantity, 0) as expected_quantity,
        coalesce(items_aggregated.received_quantity, 0) as received_quantity,
        shipments.is_sandbox,
        shipments.source_report,
        shipments._dlt_load_id

    from shipments
    left join items_aggregated
        on
            shipments.seller_id = items_aggregated.seller_id
            and shipments.shipment_id = items_aggregated.shipment_id

),

derived as (

    select
        *,
        -- units still missing once Amazon closed the shipment; an open one is still
        -- being received, a cancelled one never left
        case
            when shipment_status = 'closed'
                then greatest(expected_quantity - received_quantity, 0)
            else 0
        end as missing_quantity,
        case
            when shipment_status in ('cancelled', 'deleted') then 'cancelled'
            when received_quantity >= expected_quantity then 'received'
            when shipment_status = 'closed' then 'lost'
            when received_quantity > 0 then 'partial'
            else 'in_transit'
        end as status

    from received

)

select * from derived
