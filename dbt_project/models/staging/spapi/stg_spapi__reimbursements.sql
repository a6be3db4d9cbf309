with

source as (

    select * from {{ ref('base_spapi__reimbursements') }}

),

renamed as (

    select
        -- ids
        seller_id,
        marketplace_id,
        reimbursement_id,
        nullif(case_id, '') as case_id,
        nullif(amazon_order_id, '') as order_id,
        sku,
        fnsku,
        asin,
        nullif(original_reimbursement_id, '') as original_reimbursement_id,

        -- dates
        approval_date as approved_at,

        -- categories
        reason,
        condition as item_condition,
        product_name,
        nullif(original_reimbursement_type, '') as original_reimbursement_type,

        -- numerics
        {{ clario.safe_cast_money('amount_per_unit') }} as amount_per_unit,
        {{ clario.safe_cast_money('amount_total') }} as amount_total,
        currency_unit as currency,
        {{ clario.safe_cast_integer('quantity_reimbursed_cash') }} as quantity_reimbursed_cash,
        {{ clario.safe_cast_integer('quantity_reimbursed_inventory') }}
            as quantity_reimbursed_inventory,
        {{ clario.safe_cast_integer('quantity_reimbursed_total') }} as quantity_reimbursed_total,

        -- flags
        is_sandbox,
        {{ clario.any_cast_failed(
            integers=[
                'quantity_reimbursed_cash',
                'quantity_reimbursed_inventory',
                'quantity_reimbursed_total',
            ],
            money=['amount_per_unit', 'amount_total'],
        ) }} as has_cast_error,

        -- lineage
        source_report,
        _dlt_load_id

    from source

)

select * from renamed
