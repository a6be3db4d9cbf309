{{
    config(
        indexes=clario.mart_indexes([
            ['user_id'],
            ['seller_id'],
            ['seller_id', 'settlement_id'],
            ['period_start_at'],
        ]),
    )
}}

with

groups as (

    select * from {{ ref('stg_spapi__financial_event_groups') }}

),

-- the settlements mart, not its intermediate view: a full scan of a table, not a re-join
lines as (

    select * from {{ ref('settlements') }}

),

sellers as (

    select * from {{ ref('stg_clario__sellers') }}

),

loads as (

    select * from {{ ref('stg_spapi__dlt_loads') }}

),

lines_aggregated as (

    select
        seller_id,
        settlement_id,
        count(*) as line_count,
        sum(net_amount) as computed_total

    from lines
    group by seller_id, settlement_id

),

final as (

    select
        -- ids
        sellers.user_id,
        groups.seller_id,
        groups.marketplace_id,
        groups.settlement_id,

        -- dates
        groups.period_start as period_start_at,
        groups.period_end as period_end_at,
        groups.fund_transferred_at,

        -- categories
        groups.processing_status,
        groups.fund_transfer_status,

        -- numerics
        coalesce(lines_aggregated.line_count, 0) as line_count,
        cast(groups.original_total as {{ clario.type_money() }}) as original_total,
        cast(
            coalesce(lines_aggregated.computed_total, 0) as {{ clario.type_money() }}
        ) as computed_total,
        groups.currency,

        -- flags
        coalesce(
            groups.processing_status = 'closed'
            and coalesce(lines_aggregated.computed_total, 0) = groups.original_total,
            false
        ) as is_reconciled,
        groups.is_sandbox,

        -- lineage
        groups.source_report,
        loads.loaded_at as synced_at

    from groups
    left join lines_aggregated
        on
            groups.seller_id = lines_aggregated.seller_id
            and groups.settlement_id = lines_aggregated.settlement_id
    left join loads
        on
            groups._dlt_load_id = loads.load_id
    left join sellers
        on
            groups.seller_id = sellers.seller_id

)

select * from final
