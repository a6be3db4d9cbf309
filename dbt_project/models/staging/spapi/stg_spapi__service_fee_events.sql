with

source as (

    select * from {{ ref('base_spapi__service_fee_events') }}

),

renamed as (

    select
        -- ids
        seller_id,
        marketplace_id,
        event_id,
        financial_event_group_id as settlement_id,
        nullif(amazon_order_id, '') as order_id,
        nullif(seller_sku, '') as sku,

        -- dates
        posted_date as posted_at,

        -- categories
        event_list,
        fee_reason,
        fee_description,

        -- flags
        is_sandbox,

        -- lineage
        source_report,
        _dlt_load_id

    from source

)

select * from renamed
