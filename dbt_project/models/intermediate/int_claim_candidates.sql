{#-
    Reimbursement claim candidates before any reimbursement is matched: one row per
    source fact that says Amazon may owe the seller units (the `claims` mart's doc):

    - inbound_shortfall: a CLOSED inbound shipment x SKU with fewer units received than
      shipped; its event is the shipment's last Receipts row in the ledger (Reference ID =
      the shipment id), the moment it closed: Inbound v0 shows no close date.
    - warehouse_lost: a ledger Adjustments row with reason M (misplaced).
    - warehouse_damaged: a negative SELLABLE ledger row with a damage reason (6, 7, E, H,
      K, U: damaged at an Amazon fulfillment center).
    - refund_without_return: a refund of an FBA order item with no customer return for
      that order x SKU.

    `match_group` is what reimbursements are matched within: the SKU, or the order x SKU
    for refunds. `evidence` names the source rows by their keys.
-#}
{%- set string = dbt.type_string() %}

with

ledger as (

    select * from {{ ref('stg_spapi__inventory_ledger') }}
    where not has_cast_error

),

inbound_shipments as (

    select * from {{ ref('stg_spapi__inbound_shipments') }}

),

inbound_items as (

    select * from {{ ref('stg_spapi__inbound_shipment_items') }}

),

refund_items as (

    select * from {{ ref('stg_spapi__refund_event_items') }}

),

orders as (

    select * from {{ ref('stg_spapi__orders') }}

),

customer_returns as (

    select * from {{ ref('stg_spapi__customer_returns') }}
    where not has_cast_error

),

-- a SKU's FNSKU and ASIN, as the ledger names them
products as (

    select
        seller_id,
        sku,
        max(fnsku) as fnsku,
        max(asin) as asin

    from ledger
    group by seller_id, sku

),

shipment_closes as (

    select
        seller_id,
        reference_id as shipment_id,
        max(event_at) as closed_at

    from ledger
    where event_type = 'Receipts'
    group by seller_id, reference_id

),

inbound_shortfalls as (

    select
        inbound_items.seller_id,
        'inbound_shortfall' as claim_type,
        cast(null as {{ string }}) as marketplace_id,
        inbound_items.sku,
        inbound_items.sku as match_group,
        inbound_items.shipment_id as reference,
        shipment_closes.closed_at as event_at,
        inbound_items.quantity_shipped - inbound_items.quantity_received as units_affected,
        'inbound_shipment_items:' || inbound_items.shipment_id || '/' || inbound_items.sku
            as evidence

    from inbound_items
    inner join inbound_shipments
        on
            inbound_items.seller_id = inbound_shipments.seller_id
            and inbound_items.shipment_id = inbound_shipments.shipment_id
    left join shipment_closes
        on
            inbound_items.seller_id = shipment_closes.seller_id
            and inbound_items.shipment_id = shipment_closes.shipment_id
    where
        inbound_shipments.shipment_status = 'closed'
        and inbound_items.quantity_shipped > inbound_items.quantity_received

),

warehouse_incidents as (

    select
        seller_id,
        case when reason = 'M' then 'warehouse_lost' else 'warehouse_damaged' end
            as claim_type,
        cast(null as {{ string }}) as marketplace_id,
        sku,
        sku as match_group,
        reference_id as reference,
        event_at,
        -quantity as units_affected,
        'inventory_ledger:' || ledger_event_id as evidence

    from ledger
    where
        (event_type = 'Adjustments' and reason = 'M')
        or (
            reason in ('6', '7', 'E', 'H', 'K', 'U')
            and disposition = 'SELLABLE'
            and quantity < 0
        )

),

refunds_without_return as (

    select
        refund_items.seller_id,
        'refund_without_return' as claim_type,
        orders.marketplace_id,
        refund_items.sku,
        refund_items.order_id || '/' || refund_items.sku as match_group,
        refund_items.order_id as reference,
        refund_items.posted_at as event_at,
        refund_items.quantity as units_affected,
        'refund_events:' || refund_items.event_id || '/'
        || cast(refund_items.item_index as {{ string }}) as evidence

    from refund_items
    inner join orders
        on
            refund_items.seller_id = orders.seller_id
            and refund_items.order_id = orders.order_id
    where
        orders.fulfillment_channel = 'AFN'
        and not exists (
            select 1
            from customer_returns
            where
                customer_returns.seller_id = refund_items.seller_id
                and customer_returns.order_id = refund_items.order_id
                and customer_returns.sku = refund_items.sku
        )

),

unioned as (

    select * from inbound_shortfalls
    union all
    select * from warehouse_incidents
    union all
    select * from refunds_without_return

),

final as (

    select
        unioned.seller_id,
        unioned.claim_type,
        unioned.marketplace_id,
        unioned.sku,
        products.fnsku,
        products.asin,
        unioned.match_group,
        unioned.reference,
        unioned.event_at,
        cast(unioned.units_affected as {{ dbt.type_bigint() }}) as units_affected,
        unioned.evidence

    from unioned
    left join products
        on
            unioned.seller_id = products.seller_id
            and unioned.sku = products.sku
    where unioned.units_affected > 0

)

select * from final
