with

rejected_rows as (

    select * from {{ ref('stg_spapi__rejected_rows') }}

),

loads as (

    select * from {{ ref('stg_spapi__dlt_loads') }}

),

-- rows the extractor could not parse: kept raw in `rejected_rows`, never loaded
unparseable as (

    select
        seller_id,
        resource,
        'unparseable_row' as rejection_kind,
        count(*) as row_count,
        max(_dlt_load_id) as _dlt_load_id

    from rejected_rows
    group by seller_id, resource

),

-- loaded rows with a value that does not cast: left out of the marts
failed_casts as (

    {{ clario.count_failed_casts([
        ('orders', 'stg_spapi__orders'),
        ('orders__order_items', 'stg_spapi__order_items'),
        ('orders__order_items__proceeds__breakdowns', 'stg_spapi__order_item_proceeds_breakdowns'),
        ('fba_shipments', 'stg_spapi__fba_shipments'),
        ('customer_returns', 'stg_spapi__customer_returns'),
        ('reimbursements', 'stg_spapi__reimbursements'),
        ('adjustment_events__adjustment_item_list', 'stg_spapi__adjustment_event_items'),
    ]) }}

),

unioned as (

    select * from unparseable
    union all
    select * from failed_casts

),

final as (

    select
        -- ids
        cast({{ clario.user_id('unioned.seller_id') }} as {{ dbt.type_string() }}) as user_id,
        unioned.seller_id,

        -- categories
        unioned.resource,
        unioned.rejection_kind,

        -- numerics
        unioned.row_count,

        -- lineage
        loads.loaded_at as last_synced_at

    from unioned
    left join loads
        on
            unioned.seller_id = loads.seller_id
            and unioned._dlt_load_id = loads.load_id

)

select * from final
