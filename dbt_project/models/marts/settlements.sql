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
            ['settlement_line_id'],
            ['seller_id', 'settlement_id'],
            ['posted_at'],
            ['transformed_at'],
        ]),
    )
}}

with

lines as (

    select * from {{ ref('int_settlement_lines_unioned') }}
    where {{ clario.new_loads_filter() }}

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
        lines.seller_id,
        lines.marketplace_id,
        lines.settlement_line_id,
        lines.settlement_id,
        lines.event_id,
        lines.order_id,
        lines.sku,

        -- dates
        lines.posted_at,

        -- categories
        lines.transaction_type,
        lines.adjustment_type,

        -- numerics
        lines.quantity as units,
        lines.amount,
        lines.fees,
        lines.net_amount,
        lines.currency,

        -- flags
        lines.is_sandbox,

        -- lineage
        lines.source_report,
        loads.loaded_at as synced_at,
        lines._dlt_load_id,
        {{ clario.build_started_at() }} as transformed_at

    from lines
    left join loads
        on
            lines._dlt_load_id = loads.load_id
    left join sellers
        on
            lines.seller_id = sellers.seller_id

)

select * from final
