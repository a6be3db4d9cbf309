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
        {%- for column in quantities %}
        {{ clario.safe_cast_integer(column) }} as {{ column }},
        {%- endfor %}

        -- flags
        is_sandbox,
        {{ clario.any_cast_failed(integers=quantities) }} as has_cast_error,

        -- lineage
        source_report,
        _dlt_load_id

    from source

)

select * from renamed
