{%- set integer_columns = [
    'quantity_reimbursed_cash', 'quantity_reimbursed_inventory', 'quantity_reimbursed_total',
] -%}

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
        {%- for column in integer_columns %}
        {{ clario.safe_cast_integer(column) }} as {{ column }},
        {%- endfor %}

        -- flags
        is_sandbox,
        (
            {{ clario.cast_failed('amount_per_unit', clario.safe_cast_money('amount_per_unit')) }}
            or {{ clario.cast_failed('amount_total', clario.safe_cast_money('amount_total')) }}
            {%- for column in integer_columns %}
            or {{ clario.cast_failed(column, clario.safe_cast_integer(column)) }}
            {%- endfor %}
        ) as has_cast_error,

        -- lineage
        source_report,
        _dlt_load_id

    from source

)

select * from renamed
