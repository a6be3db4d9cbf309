{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['seller_id', 'reimbursement_id', 'sku'],
        on_schema_change='append_new_columns',
        pre_hook="{{ clario.delete_keys_sent_again_unparsable('stg_spapi__reimbursements', ['seller_id', 'reimbursement_id', 'sku']) }}",
        indexes=clario.mart_indexes([
            ['user_id'],
            ['seller_id'],
            ['seller_id', 'reimbursement_id', 'sku'],
            ['approved_at'],
            ['transformed_at'],
        ]),
    )
}}

with

reimbursements as (

    select * from {{ ref('stg_spapi__reimbursements') }}
    where not has_cast_error and {{ clario.new_loads_filter() }}

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
        reimbursements.seller_id,
        reimbursements.marketplace_id,
        reimbursements.reimbursement_id,
        reimbursements.case_id,
        reimbursements.order_id,
        reimbursements.sku,
        reimbursements.fnsku,
        reimbursements.asin,
        reimbursements.original_reimbursement_id,

        -- dates
        reimbursements.approved_at,

        -- categories
        reimbursements.reason,
        case reimbursements.reason
            when 'Lost_Inbound' then 'inbound_shortfall'
            when 'Lost_Warehouse' then 'warehouse_lost'
            when 'Damaged_Warehouse' then 'warehouse_damaged'
            when 'CustomerReturn' then 'refund_without_return'
        end as claim_type,
        reimbursements.item_condition,
        reimbursements.product_name,
        reimbursements.original_reimbursement_type,

        -- numerics
        reimbursements.quantity_reimbursed_cash as units_reimbursed_cash,
        reimbursements.quantity_reimbursed_inventory as units_reimbursed_inventory,
        reimbursements.quantity_reimbursed_total as units_reimbursed_total,
        cast(reimbursements.amount_per_unit as {{ clario.type_money() }}) as amount_per_unit,
        cast(reimbursements.amount_total as {{ clario.type_money() }}) as amount_total,
        reimbursements.currency,

        -- flags
        reimbursements.case_id is null as is_automatic,
        reimbursements.is_sandbox,

        -- lineage
        reimbursements.source_report,
        loads.loaded_at as synced_at,
        reimbursements._dlt_load_id,
        {{ clario.build_started_at() }} as transformed_at

    from reimbursements
    left join loads
        on
            reimbursements._dlt_load_id = loads.load_id
    left join sellers
        on
            reimbursements.seller_id = sellers.seller_id

)

select * from final
