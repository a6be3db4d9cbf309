with

source as (

    select * from {{ ref('base_spapi__customer_returns') }}

),

renamed as (

    select
        -- ids
        seller_id,
        marketplace_id,
        order_id,
        sku,
        asin,
        fnsku,
        license_plate_number,

        -- dates
        return_date as returned_at,

        -- categories
        product_name,
        fulfillment_center_id,
        detailed_disposition,
        reason,
        status,
        nullif(customer_comments, '') as customer_comments,

        -- numerics
        {{ clario.safe_cast_integer('quantity') }} as quantity,

        -- flags
        is_sandbox,
        {{ clario.any_cast_failed(integers=['quantity']) }} as has_cast_error,

        -- lineage
        source_report,
        _dlt_load_id

    from source

)

select * from renamed
