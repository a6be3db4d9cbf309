with

source as (

    select * from {{ ref('base_spapi__inventory_ledger') }}

),

renamed as (

    select
        -- ids
        seller_id,
        marketplace_id,
        ledger_row_key as ledger_event_id,
        nullif(reference_id, '') as reference_id,
        msku as sku,
        nullif(fnsku, '') as fnsku,
        nullif(asin, '') as asin,

        -- dates: `Date and Time` when the report has it, else the day's start
        cast(ledger_date as date) as event_date,
        coalesce(
            date_and_time, cast(cast(ledger_date as date) as {{ clario.type_timestamp_tz() }})
        ) as event_at,

        -- categories: as Amazon writes them, known or not (the extractor counts a warning
        -- for an event type or disposition Amazon's documentation does not list)
        event_type,
        nullif(reason, '') as reason,
        disposition,
        nullif(fulfillment_center, '') as fulfillment_center,
        nullif(country, '') as country,
        title as product_name,

        -- numerics: Amazon fills the reconciled columns on some rows only (null elsewhere)
        {{ clario.safe_cast_integer('quantity') }} as quantity,
        {{ clario.safe_cast_integer('reconciled_quantity') }} as reconciled_quantity,
        {{ clario.safe_cast_integer('unreconciled_quantity') }} as unreconciled_quantity,

        -- flags
        is_sandbox,
        {{ clario.any_cast_failed(
            integers=['quantity', 'reconciled_quantity', 'unreconciled_quantity'],
        ) }} as has_cast_error,

        -- lineage
        source_report,
        _dlt_load_id

    from source

)

select * from renamed
