-- one row per seller and order with programs: the flags and a JSON list of them
with

programs as (

    select * from {{ ref('stg_spapi__order_programs') }}

),

aggregated as (

    select
        seller_id,
        order_id,
        _dlt_load_id,
        max(case when program = 'PRIME' then 1 else 0 end) = 1 as is_prime,
        max(case when program = 'AMAZON_BUSINESS' then 1 else 0 end) = 1 as is_business_order,
        {{ clario.json_array_agg('program', 'program') }} as programs

    from programs
    group by seller_id, order_id, _dlt_load_id

)

select * from aggregated
