{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['seller_id', 'ledger_event_id'],
        on_schema_change='append_new_columns',
        pre_hook="{{ clario.delete_keys_sent_again_unparsable('stg_spapi__inventory_ledger', ['seller_id', 'ledger_event_id']) }}",
        indexes=clario.mart_indexes([
            ['user_id'],
            ['seller_id'],
            ['seller_id', 'ledger_event_id'],
            ['seller_id', 'sku', 'event_at'],
            ['transformed_at'],
        ]),
    )
}}

with

-- one report row is one event; a row read again (the look-back) has the same key
ledger as (

    select * from {{ ref('stg_spapi__inventory_ledger') }}
    where not has_cast_error and {{ clario.new_loads_filter() }}

),

sellers as (

    select * from {{ ref('stg_clario__sellers') }}

),

loads as (

    select * from {{ ref('stg_spapi__dlt_loads') }}

),

final as (

    select
        -- ids
        sellers.user_id,
        ledger.seller_id,
        ledger.marketplace_id,
        ledger.ledger_event_id,
        ledger.sku,
        ledger.fnsku,
        ledger.asin,
        ledger.reference_id,

        -- dates
        ledger.event_date,
        ledger.event_at,

        -- categories
        ledger.event_type,
        ledger.reason,
        case
            when ledger.event_type <> 'Adjustments' then null
            when ledger.reason = 'M' then 'lost'
            when ledger.reason = 'F' then 'found'
            when ledger.reason in ('6', '7', 'E', 'H', 'K', 'U') then 'damaged'
            when ledger.reason = 'D' then 'disposed'
            else 'other'
        end as adjustment_kind,
        ledger.disposition,
        ledger.fulfillment_center,
        ledger.country,
        ledger.product_name,

        -- numerics
        ledger.quantity as units,
        ledger.reconciled_quantity as units_reconciled,
        ledger.unreconciled_quantity as units_unreconciled,

        -- flags
        ledger.is_sandbox,

        -- lineage
        ledger.source_report,
        loads.loaded_at as synced_at,
        ledger._dlt_load_id,
        {{ clario.build_started_at() }} as transformed_at

    from ledger
    left join loads
        on
            ledger._dlt_load_id = loads.load_id
    left join sellers
        on
            ledger.seller_id = sellers.seller_id

)

select * from final
