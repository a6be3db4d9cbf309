{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['seller_id', 'order_id'],
        on_schema_change='append_new_columns',
        pre_hook="{{ clario.delete_keys_sent_again_unparsable('stg_spapi__orders', ['seller_id', 'order_id']) }}",
        indexes=clario.mart_indexes([
            ['user_id'],
            ['seller_id'],
            ['seller_id', 'order_id'],
            ['order_date'],
            ['transformed_at'],
        ]),
    )
}}

{#- the load filter reads the mart's watermarks: once, for every place it is used #}
{%- set new_loads = clario.new_loads_filter() %}

with

orders as (

    select * from {{ ref('stg_spapi__orders') }}
    where
        not has_cast_error
        and {{ new_loads }}

),

-- each input is filtered to the new loads itself: the aggregates group by the load id,
-- so the filter reaches the raw tables on both engines
units as (

    select * from {{ ref('int_order_units_aggregated') }}
    where {{ new_loads }}

),

programs as (

    select * from {{ ref('int_order_programs_aggregated') }}
    where {{ new_loads }}

),

packages as (

    select * from {{ ref('int_order_packages_aggregated') }}
    where {{ new_loads }}

),

-- orders read from the all-orders report list no packages: their ship date is the
-- fulfilled-shipments report's first shipment of the order
report_order_shipments as (

    select
        shipments.seller_id,
        shipments.order_id,
        min(shipments.shipped_at) as first_shipped_at

    from {{ ref('stg_spapi__fba_shipments') }} as shipments
    inner join orders
        on
            shipments.seller_id = orders.seller_id
            and shipments.order_id = orders.order_id
    where orders.is_from_report
    group by shipments.seller_id, shipments.order_id

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
        orders.seller_id,
        orders.marketplace_id,
        orders.order_id,

        -- dates
        orders.order_date,
        orders.last_updated_at,
        case
            when orders.is_from_report then report_order_shipments.first_shipped_at
            else packages.first_shipped_at
        end as shipment_date,

        -- categories
        orders.fulfillment_channel,
        orders.order_status,
        orders.sales_channel,

        -- numerics
        coalesce(units.item_count, 0) as item_count,
        coalesce(units.units_ordered, 0) as units_ordered,
        -- an order without items shipped none; one whose items' count is unknown, unknown
        case when units.order_id is null then 0 else units.units_shipped end as units_shipped,
        cast(
            coalesce(orders.grand_total_amount, units.items_total) as {{ clario.type_money() }}
        ) as total_amount,
        coalesce(orders.grand_total_currency, units.currency) as currency,

        -- flags
        -- the all-orders report does not say: unknown, not false
        case
            when not orders.is_from_report then coalesce(programs.is_prime, false)
        end as is_prime,
        coalesce(programs.is_business_order, false) as is_business_order,
        orders.is_sandbox,

        -- json
        {{ clario.json_object([
            ('fulfillment_service_level', 'orders.fulfillment_service_level'),
            ('channel_name', 'orders.channel_name'),
            ('programs', 'coalesce(programs.programs, ' ~ clario.json_empty_array() ~ ')'),
        ]) }} as metadata,

        -- lineage
        orders.source_report,
        loads.loaded_at as synced_at,
        orders._dlt_load_id,
        {{ clario.build_started_at() }} as transformed_at

    from orders
    left join units
        on
            orders.seller_id = units.seller_id
            and orders.order_id = units.order_id
    left join programs
        on
            orders.seller_id = programs.seller_id
            and orders.order_id = programs.order_id
    left join packages
        on
            orders.seller_id = packages.seller_id
            and orders.order_id = packages.order_id
    left join report_order_shipments
        on
            orders.seller_id = report_order_shipments.seller_id
            and orders.order_id = report_order_shipments.order_id
    left join loads
        on
            orders._dlt_load_id = loads.load_id
    left join sellers
        on
            orders.seller_id = sellers.seller_id

)

select * from final
