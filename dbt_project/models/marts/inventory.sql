{#-
    One row per seller, day, marketplace, SKU and disposition (the `inventory` doc), from
    the getInventorySummaries snapshot each sync keeps for its day: the SELLABLE row holds
    the sellable pipeline (fulfillable, inbound, reserved, researching), one row per
    unfulfillable disposition holding units holds them.
-#}
{%- set unfulfillable = [
    ('CUSTOMER_DAMAGED', 'customer_damaged_quantity'),
    ('WAREHOUSE_DAMAGED', 'warehouse_damaged_quantity'),
    ('DISTRIBUTOR_DAMAGED', 'distributor_damaged_quantity'),
    ('CARRIER_DAMAGED', 'carrier_damaged_quantity'),
    ('DEFECTIVE', 'defective_quantity'),
    ('EXPIRED', 'expired_quantity'),
] -%}
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

{%- for disposition, column in unfulfillable %}

unfulfillable_{{ loop.index }} as (

    select
        seller_id,
        marketplace_id,
        snapshot_date,
        snapshot_at,
        sku,
        fnsku,
        asin,
        product_name,
        '{{ disposition }}' as disposition,
        {%- for name in [
            'fulfillable_quantity',
            'inbound_working_quantity',
            'inbound_shipped_quantity',
            'inbound_receiving_quantity',
            'reserved_quantity',
            'pending_customer_order_quantity',
            'pending_transshipment_quantity',
            'fc_processing_quantity',
            'researching_quantity',
        ] %}
        cast(0 as {{ bigint }}) as {{ name }},
        {%- endfor %}
        {{ column }} as unfulfillable_quantity,
        total_quantity,
        last_updated_at,
        is_sandbox,
        source_report,
        _dlt_load_id

    from snapshots
    where {{ column }} <> 0

),
{%- endfor %}

unioned as (

    select * from sellable
    {%- for _ in unfulfillable %}
    union all
    select * from unfulfillable_{{ loop.index }}
    {%- endfor %}

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
        unioned.fulfillable_quantity,
        unioned.inbound_working_quantity,
        unioned.inbound_shipped_quantity,
        unioned.inbound_receiving_quantity,
        unioned.reserved_quantity,
        unioned.pending_customer_order_quantity,
        unioned.pending_transshipment_quantity,
        unioned.fc_processing_quantity,
        unioned.researching_quantity,
        unioned.unfulfillable_quantity,
        unioned.total_quantity as sku_total_quantity,

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
