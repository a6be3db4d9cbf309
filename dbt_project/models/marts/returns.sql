-- depends_on: {{ ref('stg_spapi__order_items') }}
-- depends_on: {{ ref('stg_spapi__refund_event_items') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['seller_id', 'order_id', 'sku'],
        on_schema_change='append_new_columns',
        pre_hook="{{ clario.delete_keys_sent_again_unparsable('stg_spapi__customer_returns', ['seller_id', 'order_id', 'sku']) }}",
        indexes=clario.mart_indexes([
            ['user_id'],
            ['seller_id'],
            ['return_id'],
            ['seller_id', 'order_id', 'sku'],
            ['last_returned_date'],
            ['transformed_at'],
        ]),
    )
}}

{#- the load filter reads the mart's watermarks: once, for every place it is used #}
{%- set new_loads = clario.new_loads_filter() %}

with

{%- if is_incremental() %}

-- an incremental run recomputes the returns a new load brings rows of, or changes what
-- was ordered or refunded of (order and SKU), from all their rows; a full build, every
-- return from every row
touched as (

    {%- for model in [
        'stg_spapi__customer_returns',
        'stg_spapi__order_items',
        'stg_spapi__refund_event_items',
    ] %}
        {%- if not loop.first %}

            union
        {%- endif %}

        select
            seller_id,
            order_id,
            sku
        from {{ ref(model) }}
        where {{ new_loads }}
    {%- endfor %}

),
{%- endif %}

-- keys compared through coalesce: a row missing its order id or SKU is kept, and fails
-- the mart's not-null tests, as it does in a full build
return_rows as (

    select report_rows.*
    from {{ ref('stg_spapi__customer_returns') }} as report_rows
    {%- if is_incremental() %}
    inner join touched
        on
            report_rows.seller_id = touched.seller_id
            and coalesce(report_rows.order_id, '') = coalesce(touched.order_id, '')
            and coalesce(report_rows.sku, '') = coalesce(touched.sku, '')
    {%- endif %}
    where not report_rows.has_cast_error

),

order_items as (

    select * from {{ ref('order_items') }}

),

refunds as (

    select * from {{ ref('int_refunds_aggregated_to_order_skus') }}

),

sellers as (

    select * from {{ ref('stg_clario__sellers') }}

),

loads as (

    select * from {{ ref('stg_spapi__dlt_loads') }}

),

-- Amazon sends a row per returned unit batch and return date: one row per order and SKU,
-- with the latest row's reason, disposition, status and location
returns_aggregated as (

    select
        seller_id,
        order_id,
        sku,
        max(asin) as asin,
        cast(sum(quantity) as {{ dbt.type_bigint() }}) as units_returned,
        min(returned_at) as first_returned_date,
        max(returned_at) as last_returned_date,
        {{ clario.latest_value('marketplace_id', 'returned_at') }} as marketplace_id,
        {{ clario.latest_value('reason', 'returned_at') }} as reason,
        {{ clario.latest_value('detailed_disposition', 'returned_at') }} as detailed_disposition,
        {{ clario.latest_value('status', 'returned_at') }} as status,
        {{ clario.latest_value('fulfillment_center_id', 'returned_at') }} as warehouse_location,
        {{ dbt.bool_or('is_sandbox') }} as is_sandbox,
        {{ clario.latest_value('source_report', 'returned_at') }} as source_report,
        max(_dlt_load_id) as _dlt_load_id

    from return_rows
    group by seller_id, order_id, sku

),

-- units ordered of the returned SKUs only, not of every order item
ordered as (

    select
        order_items.seller_id,
        order_items.order_id,
        order_items.sku,
        cast(sum(order_items.units_ordered) as {{ dbt.type_bigint() }}) as units_ordered,
        max(order_items._dlt_load_id) as _dlt_load_id

    from order_items
    inner join returns_aggregated
        on
            order_items.seller_id = returns_aggregated.seller_id
            and order_items.order_id = returns_aggregated.order_id
            and order_items.sku = returns_aggregated.sku
    group by order_items.seller_id, order_items.order_id, order_items.sku

),

joined as (

    select
        -- ids
        sellers.user_id,
        returns_aggregated.seller_id,
        returns_aggregated.marketplace_id,
        {{ clario.surrogate_key([
            'returns_aggregated.seller_id', 'returns_aggregated.order_id', 'returns_aggregated.sku'
        ]) }} as return_id,
        returns_aggregated.order_id,
        returns_aggregated.sku,
        returns_aggregated.asin,

        -- dates
        returns_aggregated.first_returned_date,
        returns_aggregated.last_returned_date,
        refunds.refunded_at,

        -- categories
        returns_aggregated.reason,
        returns_aggregated.detailed_disposition,
        returns_aggregated.status,
        returns_aggregated.warehouse_location,

        -- numerics
        returns_aggregated.units_returned,
        ordered.units_ordered,
        cast(refunds.refund_amount as {{ clario.type_money() }}) as refund_amount,
        refunds.currency,

        -- flags
        coalesce(
            returns_aggregated.units_returned < ordered.units_ordered, false
        ) as is_partial,
        returns_aggregated.is_sandbox,

        -- lineage
        returns_aggregated.source_report,
        -- the newest load among what the return was computed from: the watermark then
        -- passes the loads of order items and refunds too, which a sync writes after the
        -- returns' own (otherwise the next run would read all of them again)
        greatest(
            returns_aggregated._dlt_load_id,
            coalesce(ordered._dlt_load_id, ''),
            coalesce(refunds._dlt_load_id, '')
        ) as _dlt_load_id,
        {{ clario.build_started_at() }} as transformed_at

    from returns_aggregated
    left join ordered
        on
            returns_aggregated.seller_id = ordered.seller_id
            and returns_aggregated.order_id = ordered.order_id
            and returns_aggregated.sku = ordered.sku
    left join refunds
        on
            returns_aggregated.seller_id = refunds.seller_id
            and returns_aggregated.order_id = refunds.order_id
            and returns_aggregated.sku = refunds.sku
    left join sellers
        on
            returns_aggregated.seller_id = sellers.seller_id

),

final as (

    select
        joined.*,
        loads.loaded_at as synced_at

    from joined
    left join loads
        on
            joined._dlt_load_id = loads.load_id

)

select * from final
