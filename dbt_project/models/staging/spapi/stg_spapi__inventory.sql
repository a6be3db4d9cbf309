with

source as (

    select * from {{ ref('base_spapi__inventory') }}

),

renamed as (

    select
        -- ids
        seller_id,
        marketplace_id,
        seller_sku as sku,
        fn_sku as fnsku,
        asin,

        -- dates
        cast(snapshot_date as date) as snapshot_date,
        snapshot_at,
        last_updated_time as last_updated_at,

        -- categories
        condition as item_condition,
        product_name,

        -- numerics: null where Amazon left the quantity out
        total_quantity,
        fulfillable_quantity,
        inbound_working_quantity,
        inbound_shipped_quantity,
        inbound_receiving_quantity,
        reserved_quantity,
        pending_customer_order_quantity,
        pending_transshipment_quantity,
        fc_processing_quantity,
        researching_quantity,
        unfulfillable_quantity,
        customer_damaged_quantity,
        warehouse_damaged_quantity,
        distributor_damaged_quantity,
        carrier_damaged_quantity,
        defective_quantity,
        expired_quantity,

        -- flags
        is_sandbox,

        -- lineage
        source_report,
        _dlt_load_id

    from source

)

select * from renamed
