with

source as (

    select * from {{ ref('base_spapi__order_package_items') }}

),

packages as (

    select * from {{ ref('base_spapi__order_packages') }}

),

orders as (

    select * from {{ ref('base_spapi__orders') }}

),

renamed as (

    select
        -- ids
        source.seller_id,  -- with `_dlt_load_id` below: the load filter reaches this table
        orders.order_id,
        packages.package_reference_id,
        source.order_item_id,

        -- numerics
        source.quantity,

        -- lineage
        -- the root row's load id, copied into nested rows (extract/nested_columns.py): a
        -- filter on it reaches this table (and_same_load: on DuckDB, its parents too)
        source._dlt_root_load_id as _dlt_load_id

    from source
    inner join packages
        on
            source.seller_id = packages.seller_id
            and source._dlt_parent_id = packages._dlt_id
            {{ clario.and_same_load('source._dlt_root_load_id', 'packages._dlt_root_load_id') }}
    inner join orders
        on
            packages.seller_id = orders.seller_id
            and packages._dlt_parent_id = orders._dlt_id
            {{ clario.and_same_load('packages._dlt_root_load_id', 'orders._dlt_load_id') }}

)

select * from renamed
