-- one row per settlement line and fee component, from every fee list
with

shipment_fees as (

    select * from {{ ref('stg_spapi__shipment_event_item_fees') }}

),

refund_fees as (

    select * from {{ ref('stg_spapi__refund_event_item_fees') }}

),

service_fees as (

    select * from {{ ref('stg_spapi__service_fee_event_fees') }}

),

unioned as (

    select
        seller_id,
        event_id,
        item_index,
        fee_index,
        fee_type,
        amount,
        currency,
        _dlt_load_id
    from shipment_fees

    union all

    select
        seller_id,
        event_id,
        item_index,
        fee_index,
        fee_type,
        amount,
        currency,
        _dlt_load_id
    from refund_fees

    union all

    -- a service fee event is a single line (item 0) with its fee list
    select
        seller_id,
        event_id,
        0 as item_index,
        fee_index,
        fee_type,
        amount,
        currency,
        _dlt_load_id
    from service_fees

),

final as (

    select
        -- ids
        seller_id,
        {{ clario.surrogate_key(['seller_id', 'event_id', 'item_index']) }} as settlement_line_id,
        {{ clario.surrogate_key(['seller_id', 'event_id', 'item_index', 'fee_index']) }}
            as settlement_fee_id,
        event_id,
        item_index,
        fee_index,

        -- categories
        fee_type,

        -- numerics
        cast(amount as {{ clario.type_money() }}) as amount,
        currency,

        -- lineage
        _dlt_load_id

    from unioned

)

select * from final
