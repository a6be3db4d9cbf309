{#- A settlement period's lines arrive together (its group is always read whole) and
    replace all its earlier lines, whatever their ids. #}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['seller_id', 'settlement_id'],
        on_schema_change='append_new_columns',
        indexes=clario.mart_indexes([
            ['user_id'],
            ['seller_id'],
            ['settlement_fee_id'],
            ['settlement_line_id'],
            ['seller_id', 'settlement_id'],
            ['posted_at'],
            ['transformed_at'],
        ]),
    )
}}

{#- the load filter reads the mart's watermarks: once, for every place it is used #}
{%- set new_loads = clario.new_loads_filter() %}

with

fees as (

    select * from {{ ref('int_settlement_fees_unioned') }}
    where {{ new_loads }}

),

-- the lines these fees belong to, as `settlements` has just built them: reading them
-- again from the raw event tables would add up every line's charges a second time. A
-- fee's line comes from the same event, so the same load: the fees' load filter picks
-- the lines they need instead of every line in the mart.
lines as (

    select * from {{ ref('settlements') }}
    where {{ new_loads }}

),

sellers as (

    select * from {{ ref('stg_clario__sellers') }}

),

loads as (

    select * from {{ ref('stg_spapi__dlt_loads') }}

),

final as (

    select
        -- ids
        sellers.user_id,
        fees.seller_id,
        lines.marketplace_id,
        fees.settlement_fee_id,
        fees.settlement_line_id,
        lines.settlement_id,

        -- dates
        lines.posted_at,

        -- categories
        lines.transaction_type,
        fees.fee_type,

        -- numerics
        fees.amount,
        fees.currency,

        -- flags
        lines.is_sandbox,

        -- lineage
        lines.source_report,
        loads.loaded_at as synced_at,
        fees._dlt_load_id,
        {{ clario.build_started_at() }} as transformed_at

    from fees
    inner join lines
        on
            fees.seller_id = lines.seller_id
            and fees.settlement_line_id = lines.settlement_line_id
    left join loads
        on
            fees._dlt_load_id = loads.load_id
    left join sellers
        on
            fees.seller_id = sellers.seller_id

)

select * from final
