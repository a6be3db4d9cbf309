with

source as (

    select * from {{ ref('base_spapi__order_item_proceeds_breakdowns') }}

),

order_items as (

    select * from {{ ref('base_spapi__order_items') }}

),

orders as (

    select * from {{ ref('base_spapi__orders') }}

),

renamed as (

    select
        -- ids
        source.seller_id,  -- with `_dlt_load_id` below: the load filter reaches this table
        orders.order_id,
        order_items._dlt_list_idx as item_index,
        source._dlt_list_idx as breakdown_index,

        -- categories
        lower(source.type) as breakdown_type,

        -- numerics
        {{ clario.safe_cast_money('source.subtotal__amount') }} as amount,
        source.subtotal__currency_code as currency,

        -- flags
        {{ clario.cast_failed(
            'source.subtotal__amount', clario.safe_cast_money('source.subtotal__amount')
        ) }} as has_cast_error,

        -- lineage
        -- the root row's load id, copied into nested rows (extract/nested_columns.py): a
        -- filter on it reaches this table (and_same_load: on DuckDB, its parents too)
        source._dlt_root_load_id as _dlt_load_id

    from source
    inner join order_items
        on
            source.seller_id = order_items.seller_id
            and source._dlt_parent_id = order_items._dlt_id
            {{ clario.and_same_load('source._dlt_root_load_id', 'order_items._dlt_root_load_id') }}
    inner join orders
        on
            order_items.seller_id = orders.seller_id
            and order_items._dlt_parent_id = orders._dlt_id
            {{ clario.and_same_load('order_items._dlt_root_load_id', 'orders._dlt_load_id') }}

)

select * from renamed
