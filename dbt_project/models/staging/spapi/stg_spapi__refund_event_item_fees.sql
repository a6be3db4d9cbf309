with

source as (

    select * from {{ ref('base_spapi__refund_event_item_fees') }}

),

items as (

    select * from {{ ref('base_spapi__refund_event_items') }}

),

events as (

    select * from {{ ref('base_spapi__refund_events') }}

),

renamed as (

    select
        -- ids
        source.seller_id,  -- with `_dlt_load_id` below: the load filter reaches this table
        events.event_id,
        items._dlt_list_idx as item_index,
        source._dlt_list_idx as fee_index,

        -- categories
        source.fee_type,

        -- numerics
        source.fee_amount__currency_amount as amount,
        source.fee_amount__currency_code as currency,

        -- lineage
        -- the root row's load id, copied into nested rows (extract/nested_columns.py): a
        -- filter on it reaches this table (and_same_load: on DuckDB, its parents too)
        source._dlt_root_load_id as _dlt_load_id

    from source
    inner join items
        on
            source.seller_id = items.seller_id
            and source._dlt_parent_id = items._dlt_id
            {{ clario.and_same_load('source._dlt_root_load_id', 'items._dlt_root_load_id') }}
    inner join events
        on
            items.seller_id = events.seller_id
            and items._dlt_parent_id = events._dlt_id
            {{ clario.and_same_load('items._dlt_root_load_id', 'events._dlt_load_id') }}

)

select * from renamed
