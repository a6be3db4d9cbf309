with

source as (

    select * from {{ ref('base_spapi__orders') }}

),

renamed as (

    select
        -- ids
        seller_id,
        marketplace_id,
        order_id,

        -- dates
        created_time as order_date,
        last_updated_time as last_updated_at,

        -- categories
        case fulfillment__fulfillment_status
            when 'PENDING' then 'pending'
            when 'PENDING_AVAILABILITY' then 'pending'
            when 'UNSHIPPED' then 'unshipped'
            when 'PARTIALLY_SHIPPED' then 'partially_shipped'
            when 'SHIPPED' then 'shipped'
            when 'CANCELLED' then 'cancelled'
            when 'UNFULFILLABLE' then 'unfulfillable'
            else lower(fulfillment__fulfillment_status)
        end as order_status,
        case fulfillment__fulfilled_by
            when 'AMAZON' then 'AFN'
            when 'MERCHANT' then 'MFN'
        end as fulfillment_channel,
        lower(fulfillment__fulfillment_service_level) as fulfillment_service_level,
        sales_channel__channel_name as channel_name,
        sales_channel__marketplace_name as sales_channel,

        -- numerics
        {{ clario.safe_cast_money('proceeds__grand_total__amount') }} as grand_total_amount,
        proceeds__grand_total__currency_code as grand_total_currency,

        -- flags
        is_sandbox,
        -- read from the all-orders report (a first sync's history), not from searchOrders:
        -- no packages and no Prime flag until the API returns the order
        coalesce(source_report != 'searchOrders', false) as is_from_report,
        {{ clario.cast_failed(
            'proceeds__grand_total__amount',
            clario.safe_cast_money('proceeds__grand_total__amount')
        ) }} as has_cast_error,

        -- lineage
        source_report,
        _dlt_load_id,
        _dlt_id

    from source

)

select * from renamed
