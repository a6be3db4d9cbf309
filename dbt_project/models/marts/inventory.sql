{#-
    One row per seller, day, marketplace, SKU and disposition (the `inventory` doc), from
    the getInventorySummaries snapshot each sync keeps for its day: the SELLABLE row holds
    the sellable pipeline (fulfillable, inbound, reserved, researching), one row per
    unfulfillable disposition holding units holds them.
-#}
{%- set bigint = dbt.type_bigint() %}

with

snapshots as (

    select * from {{ ref('stg_spapi__inventory') }}

),

sellers as (

    select * from {{ ref('stg_clario__sellers') }}

),

loads as (

    select * from {{ ref('stg_spapi__dlt_loads') }}

),

sellable as (

    select
        seller_id,
        marketplace_id,
        snapshot_date,
        snapshot_at,
        sku,
        fnsku,
        asin,
        product_name,
        'SELLABLE' as disposition,
        fulfillable_quantity,
        inbound_working_quantity,
        inbound_shipped_quantity,
        inbound_receiving_quantity,
        reserved_quantity,
        pending_customer_order_quantity,
        pending_transshipment_quantity,
        fc_processing_quantity,
        researching_quantity,
        cast(0 as {{ bigint }}) as unfulfillable_quantity,
        total_quantity,
        last_updated_at,
        is_sandbox,
        source_report,
        _dlt_load_id

    from snapshots

),

-- Amazon's unfulfillable breakdown (InventoryDetails.unfulfillableQuantity), by disposition
unfulfillable_dispositions as (

    select 'CUSTOMER_DAMAGED' as disposition
    union all
    select 'WAREHOUSE_DAMAGED' as disposition
    union all
    select 'DISTRIBUTOR_DAMAGED' as disposition
    union all
    select 'CARRIER_DAMAGED' as disposition
    union all
    select 'DEFECTIVE' as disposition
    union all
    select 'EXPIRED' as disposition

),

unfulfillable as (

    select
        snapshots.seller_id,
        snapshots.marketplace_id,
        snapshots.snapshot_date,
        snapshots.snapshot_at,
        snapshots.sku,
        snapshots.fnsku,
        snapshots.asin,
        snapshots.product_name,
        unfulfillable_dispositions.disposition,
        cast(0 as {{ bigint }}) as fulfillable_quantity,
        cast(0 as {{ bigint }}) as inbound_working_quantity,
        cast(0 as {{ bigint }}) as inbound_shipped_quantity,
        cast(0 as {{ bigint }}) as inbound_receiving_quantity,
        cast(0 as {{ bigint }}) as reserved_quantity,
        cast(0 as {{ bigint }}) as pending_customer_order_quantity,
        cast(0 as {{ bigint }}) as pending_transshipment_quantity,
        cast(0 as {{ bigint }}) as fc_processing_quantity,
        cast(0 as {{ bigint }}) as researching_quantity,
        case unfulfillable_dispositions.disposition
            when 'CUSTOMER_DAMAGED' then snapshots.customer_damaged_quantity
            when 'WAREHOUSE_DAMAGED' then snapshots.warehouse_damaged_quantity
            when 'DISTRIBUTOR_DAMAGED' then snapshots.distributor_damaged_quantity
            when 'CARRIER_DAMAGED' then snapshots.carrier_damaged_quantity
            when 'DEFECTIVE' then snapshots.defective_quantity
            when 'EXPIRED' then snapshots.expired_quantity
        end as unfulfillable_quantity,
        snapshots.total_quantity,
        snapshots.last_updated_at,
        snapshots.is_sandbox,
        snapshots.source_report,
        snapshots._dlt_load_id

    from snapshots
    cross join unfulfillable_dispositions

),

unioned as (

    select * from sellable
    union all
    select * from unfulfillable
    -- a disposition holding units only
    where unfulfillable_quantity <> 0

),

final as (

    select
        -- ids
        sellers.user_id,
        unioned.seller_id,
        unioned.marketplace_id,
        unioned.sku,
        unioned.fnsku,
        unioned.asin,

        -- dates
        unioned.snapshot_date,
        unioned.snapshot_at,
        unioned.last_updated_at,

        -- categories
        unioned.disposition,
        unioned.product_name,

        -- numerics
        unioned.fulfillable_quantity as units_fulfillable,
        unioned.inbound_working_quantity as units_inbound_working,
        unioned.inbound_shipped_quantity as units_inbound_shipped,
        unioned.inbound_receiving_quantity as units_inbound_receiving,
        unioned.reserved_quantity as units_reserved,
        unioned.pending_customer_order_quantity as units_pending_customer_order,
        unioned.pending_transshipment_quantity as units_pending_transshipment,
        unioned.fc_processing_quantity as units_fc_processing,
        unioned.researching_quantity as units_researching,
        unioned.unfulfillable_quantity as units_unfulfillable,
        unioned.total_quantity as units_sku_total,

        -- flags
        unioned.is_sandbox,

        -- lineage
        unioned.source_report,
        loads.loaded_at as synced_at,
        unioned._dlt_load_id,
        {{ clario.build_started_at() }} as transformed_at

    from unioned
    left join loads
        on
            unioned._dlt_load_id = loads.load_id
    left join sellers
        on
            unioned.seller_id = sellers.seller_id

)

select * from final
