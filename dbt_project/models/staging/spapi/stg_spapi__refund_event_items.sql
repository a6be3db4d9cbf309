with

source as (

    select * from {{ ref('base_spapi__refund_event_items') }}

),

events as (

    select * from {{ ref('base_spapi__refund_events') }}

),

renamed as (

    select
        -- ids
        source.seller_id,  -- with `_dlt_load_id` below: the load filter reaches this table
        events.marketplace_id,
        events.event_id,
        events.financial_event_group_id as settlement_id,
        events.amazon_order_id as order_id,
        source._dlt_list_idx as item_index,
        source.order_adjustment_item_id,
        source.seller_sku as sku,

        -- dates
        events.posted_date as posted_at,

        -- numerics
        source.quantity_shipped as quantity,

        -- flags
        events.is_sandbox,

        -- lineage: an item is loaded with its event
        events.source_report,
        -- the root row's load id, copied into nested rows (extract/nested_columns.py): a
        -- filter on it reaches this table (and_same_load: on DuckDB, its parents too)
        source._dlt_root_load_id as _dlt_load_id

    from source
    inner join events
        on
            source.seller_id = events.seller_id
            and source._dlt_parent_id = events._dlt_id
            {{ clario.and_same_load('source._dlt_root_load_id', 'events._dlt_load_id') }}

)

select * from renamed
