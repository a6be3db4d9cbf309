with

source as (

    select * from {{ ref('base_spapi__financial_event_groups') }}

),

renamed as (

    select
        -- ids
        seller_id,
        marketplace_id,
        financial_event_group_id as settlement_id,
        trace_id,
        account_tail,

        -- dates
        financial_event_group_start as period_start,
        financial_event_group_end as period_end,
        fund_transfer_date as fund_transferred_at,

        -- categories
        lower(processing_status) as processing_status,
        lower(fund_transfer_status) as fund_transfer_status,

        -- numerics
        original_total__currency_amount as original_total,
        original_total__currency_code as currency,
        converted_total__currency_amount as converted_total,
        converted_total__currency_code as converted_currency,
        beginning_balance__currency_amount as beginning_balance,

        -- flags
        is_sandbox,

        -- lineage
        source_report,
        _dlt_load_id

    from source

)

select * from renamed
