with

rejected_rows as (

    select * from {{ ref('stg_spapi__rejected_rows') }}

),

sellers as (

    select * from {{ ref('stg_clario__sellers') }}

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

    select
        seller_id,
        resource,
        'failed_cast' as rejection_kind,
        cast(sum(failed_rows) as {{ dbt.type_bigint() }}) as row_count,
        max(_dlt_load_id) as _dlt_load_id

    from {{ ref('int_failed_casts_by_record') }}
    where failed_rows > 0
    group by seller_id, resource

),

unioned as (

    select * from unparseable
    union all
    select * from failed_casts

),

final as (

    select
        -- ids
        sellers.user_id,
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
            unioned._dlt_load_id = loads.load_id
    left join sellers
        on
            unioned.seller_id = sellers.seller_id

)

select * from final
