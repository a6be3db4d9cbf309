with

source as (

    select * from {{ ref('base_spapi__adjustment_events') }}

),

renamed as (

    select
        -- ids
        seller_id,
        marketplace_id,
        event_id,
        financial_event_group_id as settlement_id,

        -- dates
        posted_date as posted_at,

        -- categories
        event_list,
        adjustment_type,

        -- numerics
        adjustment_amount__currency_amount as adjustment_amount,
        adjustment_amount__currency_code as currency,

        -- flags
        is_sandbox,

        -- lineage
        source_report,
        _dlt_load_id

    from source

)

select * from renamed
