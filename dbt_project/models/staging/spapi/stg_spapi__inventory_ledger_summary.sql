{%- set quantities = [
    'starting_warehouse_balance',
    'in_transit_between_warehouses',
    'receipts',
    'customer_shipments',
    'customer_returns',
    'vendor_returns',
    'warehouse_transfer_in_out',
    'found',
    'lost',
    'damaged',
    'disposed',
    'other_events',
    'ending_warehouse_balance',
    'unknown_events',
] %}

with

source as (

    select * from {{ ref('base_spapi__inventory_ledger_summary') }}

),

renamed as (

    select
        -- ids
        seller_id,
        marketplace_id,
        msku as sku,
        nullif(fnsku, '') as fnsku,
        nullif(asin, '') as asin,

        -- dates
        cast(ledger_date as date) as balance_date,

        -- categories
        disposition,
        location,
        title as product_name,

        -- numerics
        {{ clario.safe_cast_integer('starting_warehouse_balance') }} as starting_warehouse_balance,
        {{ clario.safe_cast_integer('in_transit_between_warehouses') }}
            as in_transit_between_warehouses,
        {{ clario.safe_cast_integer('receipts') }} as receipts,
        {{ clario.safe_cast_integer('customer_shipments') }} as customer_shipments,
        {{ clario.safe_cast_integer('customer_returns') }} as customer_returns,
        {{ clario.safe_cast_integer('vendor_returns') }} as vendor_returns,
        {{ clario.safe_cast_integer('warehouse_transfer_in_out') }} as warehouse_transfer_in_out,
        {{ clario.safe_cast_integer('found') }} as found,
        {{ clario.safe_cast_integer('lost') }} as lost,
        {{ clario.safe_cast_integer('damaged') }} as damaged,
        {{ clario.safe_cast_integer('disposed') }} as disposed,
        {{ clario.safe_cast_integer('other_events') }} as other_events,
        {{ clario.safe_cast_integer('ending_warehouse_balance') }} as ending_warehouse_balance,
        {{ clario.safe_cast_integer('unknown_events') }} as unknown_events,

        -- flags
        is_sandbox,
        {{ clario.any_cast_failed(integers=quantities) }} as has_cast_error,

        -- lineage
        source_report,
        _dlt_load_id

    from source

)

select * from renamed
