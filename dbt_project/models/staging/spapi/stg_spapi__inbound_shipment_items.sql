with

source as (

    select * from {{ ref('base_spapi__inbound_shipment_items') }}

),

renamed as (

    select
        -- ids
        seller_id,
        marketplace_id,
        shipment_id,
        seller_sku as sku,
        fulfillment_network_sku as fnsku,

        -- dates
        last_updated_before as listed_at,

        -- numerics
        coalesce(quantity_shipped, 0) as quantity_shipped,
        coalesce(quantity_received, 0) as quantity_received,
        quantity_in_case,

        -- flags
        is_sandbox,

        -- lineage
        source_report,
        _dlt_load_id

    from source

)

select * from renamed
