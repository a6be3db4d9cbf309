{#-
    What reduces claim candidates (the `claims` mart's doc): Amazon's reimbursements, by
    the claim type their reason settles, and units found again (ledger Adjustments rows
    with reason F), which reduce the units lost. One row per reimbursement x SKU or
    found row; `amount_per_unit` is null for found units. `match_group` as in
    int_claim_candidates: the SKU, or the order x SKU for CustomerReturn reimbursements.
-#}

with

reimbursements as (

    select * from {{ ref('stg_spapi__reimbursements') }}
    where not has_cast_error

),

ledger as (

    select * from {{ ref('stg_spapi__inventory_ledger') }}
    where not has_cast_error

),

reimbursed as (

    select
        seller_id,
        case reason
            when 'Lost_Inbound' then 'inbound_shortfall'
            when 'Lost_Warehouse' then 'warehouse_lost'
            when 'Damaged_Warehouse' then 'warehouse_damaged'
            when 'CustomerReturn' then 'refund_without_return'
        end as claim_type,
        'reimbursement' as credit_kind,
        sku,
        case
            when reason = 'CustomerReturn' then order_id || '/' || sku
            else sku
        end as match_group,
        reimbursement_id as reference,
        approved_at as credited_at,
        coalesce(
            quantity_reimbursed_total,
            coalesce(quantity_reimbursed_cash, 0) + coalesce(quantity_reimbursed_inventory, 0)
        ) as quantity,
        amount_per_unit,
        'reimbursements:' || reimbursement_id || '/' || sku as evidence

    from reimbursements
    where reason in ('Lost_Inbound', 'Lost_Warehouse', 'Damaged_Warehouse', 'CustomerReturn')

),

found as (

    select
        seller_id,
        'warehouse_lost' as claim_type,
        'found' as credit_kind,
        sku,
        sku as match_group,
        reference_id as reference,
        event_at as credited_at,
        quantity,
        cast(null as {{ clario.type_money() }}) as amount_per_unit,
        'inventory_ledger:' || ledger_event_id as evidence

    from ledger
    where event_type = 'Adjustments' and reason = 'F'

),

unioned as (

    select * from reimbursed
    union all
    select * from found

)

select * from unioned
where quantity > 0
