with

source as (

    select * from {{ ref('base_spapi__inbound_shipments') }}

),

renamed as (

    select
        -- ids
        seller_id,
        marketplace_id,
        shipment_id,

        -- dates
        last_updated_before as listed_at,

        -- categories
        shipment_name,
        destination_fulfillment_center_id,
        lower(shipment_status) as shipment_status,
        label_prep_type,
        box_contents_source,
        ship_from_address__name as ship_from_name,
        ship_from_address__city as ship_from_city,
        ship_from_address__state_or_province_code as ship_from_state,
        ship_from_address__country_code as ship_from_country,
        ship_from_address__postal_code as ship_from_postal_code,

        -- flags
        is_sandbox,
        are_cases_required,

        -- lineage
        source_report,
        _dlt_load_id

    from source

)

select * from renamed
