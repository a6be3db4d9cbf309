-- one row per seller and order with packages: when it first shipped and how
with

packages as (

    select * from {{ ref('stg_spapi__order_packages') }}

),

aggregated as (

    select
        seller_id,
        order_id,
        _dlt_load_id,
        min(shipped_at) as first_shipped_at,
        count(*) as package_count

    from packages
    group by seller_id, order_id, _dlt_load_id

)

select * from aggregated
