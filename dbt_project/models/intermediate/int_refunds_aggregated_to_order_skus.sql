-- one row per seller, order and SKU refunded: principal and tax given back, and when
with

refund_items as (

    select * from {{ ref('stg_spapi__refund_event_items') }}

),

refund_charges as (

    select * from {{ ref('stg_spapi__refund_event_item_charges') }}

),

refunded_charges as (

    select
        refund_charges.seller_id,
        refund_charges.event_id,
        refund_charges.item_index,
        -- refund charges are negative: the amount refunded is their opposite
        -sum(refund_charges.amount) as refunded_amount,
        max(refund_charges.currency) as currency

    from refund_charges
    where refund_charges.charge_type in ('Principal', 'Tax')
    group by refund_charges.seller_id, refund_charges.event_id, refund_charges.item_index

),

aggregated as (

    select
        refund_items.seller_id,
        refund_items.order_id,
        refund_items.sku,
        count(*) as refund_count,
        cast(sum(refund_items.quantity) as {{ dbt.type_bigint() }}) as refunded_quantity,
        cast(
            sum(coalesce(refunded_charges.refunded_amount, 0)) as {{ clario.type_money() }}
        ) as refund_amount,
        max(refunded_charges.currency) as currency,
        min(refund_items.posted_at) as first_refunded_at,
        max(refund_items.posted_at) as refunded_at,
        max(refund_items._dlt_load_id) as _dlt_load_id

    from refund_items
    left join refunded_charges
        on
            refund_items.seller_id = refunded_charges.seller_id
            and refund_items.event_id = refunded_charges.event_id
            and refund_items.item_index = refunded_charges.item_index
    group by refund_items.seller_id, refund_items.order_id, refund_items.sku

)

select * from aggregated
