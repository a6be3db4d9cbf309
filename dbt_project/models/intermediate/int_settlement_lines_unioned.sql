-- one row per seller and financial event line, from every event list
--   order       ShipmentEventList: one line per shipment item
--   refund      RefundEventList: one line per shipment item adjustment
--   service_fee ServiceFeeEventList: one line per event
--   adjustment  AdjustmentEventList: one line per adjustment item (per event without items)
--
-- Lines and their charges, promotions and fees are unioned first and added up per line
-- after: every branch carries the event's load id, which the aggregate groups by, so an
-- incremental mart's load filter reaches every raw table instead of joining new lines to
-- every charge ever loaded.
{%- set string = dbt.type_string() %}
{%- set bigint = dbt.type_bigint() %}
{%- set money = clario.type_money() %}
{%- set timestamp = clario.type_timestamp_tz() %}
{%- set boolean = dbt.type_boolean() %}
{#- (cte, transaction type, item index, quantity): the event lists' lines -#}
{%- set line_sources = [
    ('shipment_items', 'order', 'item_index', 'quantity'),
    ('refund_items', 'refund', 'item_index', 'quantity'),
    ('service_fee_events', 'service_fee', '0', 'cast(null as ' ~ bigint ~ ')'),
] %}
{#- (cte, what its amount is on the line, item index): charges, promotions and fees -#}
{%- set amount_sources = [
    ('shipment_charges', 'amount', 'item_index'),
    ('shipment_promotions', 'amount', 'item_index'),
    ('shipment_fees', 'fees', 'item_index'),
    ('refund_charges', 'amount', 'item_index'),
    ('refund_fees', 'fees', 'item_index'),
    ('service_fees', 'fees', '0'),
] %}

with

shipment_items as (

    select * from {{ ref('stg_spapi__shipment_event_items') }}

),

shipment_charges as (

    select * from {{ ref('stg_spapi__shipment_event_item_charges') }}

),

shipment_promotions as (

    select * from {{ ref('stg_spapi__shipment_event_item_promotions') }}

),

shipment_fees as (

    select * from {{ ref('stg_spapi__shipment_event_item_fees') }}

),

refund_items as (

    select * from {{ ref('stg_spapi__refund_event_items') }}

),

refund_charges as (

    select * from {{ ref('stg_spapi__refund_event_item_charges') }}

),

refund_fees as (

    select * from {{ ref('stg_spapi__refund_event_item_fees') }}

),

service_fee_events as (

    select * from {{ ref('stg_spapi__service_fee_events') }}

),

service_fees as (

    select * from {{ ref('stg_spapi__service_fee_event_fees') }}

),

adjustment_events as (

    select * from {{ ref('stg_spapi__adjustment_events') }}

),

adjustment_items as (

    select * from {{ ref('stg_spapi__adjustment_event_items') }}

),

-- the lines themselves (is_line = 1) and the amounts that belong to them; the aliases
-- that read `x as x` in one branch (noqa: AL09) carry an expression in another
line_parts as (

    {%- for cte, transaction_type, item_index, quantity in line_sources %}
        {%- if not loop.first %}

            union all
        {%- endif %}

        select
            seller_id,
            event_id,
            {{ item_index }} as item_index,  -- noqa: AL09
            _dlt_load_id,
            1 as is_line,
            '{{ transaction_type }}' as transaction_type,
            marketplace_id,
            settlement_id,
            order_id,
            sku,
            posted_at,
            {{ quantity }} as quantity,  -- noqa: AL09
            is_sandbox,
            source_report,
            cast(0 as {{ money }}) as amount,
            cast(0 as {{ money }}) as fees,
            cast(null as {{ string }}) as currency
        from {{ cte }}
    {%- endfor %}
    {%- for cte, role, item_index in amount_sources %}

        union all

        select
            seller_id,
            event_id,
            {{ item_index }} as item_index,  -- noqa: AL09
            _dlt_load_id,
            0 as is_line,
            cast(null as {{ string }}) as transaction_type,
            cast(null as {{ string }}) as marketplace_id,
            cast(null as {{ string }}) as settlement_id,
            cast(null as {{ string }}) as order_id,
            cast(null as {{ string }}) as sku,
            cast(null as {{ timestamp }}) as posted_at,
            cast(null as {{ bigint }}) as quantity,
            cast(null as {{ boolean }}) as is_sandbox,
            cast(null as {{ string }}) as source_report,
            {{ 'amount' if role == 'amount' else '0' }} as amount,  -- noqa: AL09
            {{ 'amount' if role == 'fees' else '0' }} as fees,
            currency
        from {{ cte }}
    {%- endfor %}

),

parts_added_up as (

    select
        seller_id,
        event_id,
        item_index,
        _dlt_load_id,
        max(transaction_type) as transaction_type,
        max(marketplace_id) as marketplace_id,
        max(settlement_id) as settlement_id,
        max(order_id) as order_id,
        max(sku) as sku,
        max(posted_at) as posted_at,
        max(quantity) as quantity,
        {{ dbt.bool_or('is_sandbox') }} as is_sandbox,
        max(source_report) as source_report,
        sum(amount) as amount,
        sum(fees) as fees,
        max(currency) as currency,
        cast(null as {{ string }}) as adjustment_type

    from line_parts
    group by seller_id, event_id, item_index, _dlt_load_id
    having max(is_line) = 1

),

adjustment_lines as (

    select
        adjustment_events.seller_id,
        adjustment_events.event_id,
        coalesce(adjustment_items.item_index, 0) as item_index,
        adjustment_events._dlt_load_id,
        'adjustment' as transaction_type,
        adjustment_events.marketplace_id,
        adjustment_events.settlement_id,
        cast(null as {{ string }}) as order_id,
        adjustment_items.sku,
        adjustment_events.posted_at,
        adjustment_items.quantity,
        adjustment_events.is_sandbox,
        adjustment_events.source_report,
        case
            when adjustment_items.event_id is null then adjustment_events.adjustment_amount
            else coalesce(adjustment_items.total_amount, 0)
        end as amount,
        0 as fees,
        coalesce(adjustment_items.currency, adjustment_events.currency) as currency,
        adjustment_events.adjustment_type

    from adjustment_events
    left join adjustment_items
        on
            adjustment_events.seller_id = adjustment_items.seller_id
            and adjustment_events.event_id = adjustment_items.event_id
    where not coalesce(adjustment_items.has_cast_error, false)

),

unioned as (

    select * from parts_added_up
    union all
    select * from adjustment_lines

),

final as (

    select
        -- ids
        seller_id,
        marketplace_id,
        {{ clario.surrogate_key(['seller_id', 'event_id', 'item_index']) }} as settlement_line_id,
        settlement_id,
        event_id,
        item_index,
        order_id,
        sku,

        -- dates
        posted_at,

        -- categories
        transaction_type,
        adjustment_type,

        -- numerics
        quantity,
        cast(coalesce(amount, 0) as {{ money }}) as amount,
        cast(coalesce(fees, 0) as {{ money }}) as fees,
        cast(coalesce(amount, 0) + coalesce(fees, 0) as {{ money }}) as net_amount,
        currency,

        -- flags
        is_sandbox,

        -- lineage
        source_report,
        _dlt_load_id

    from unioned

)

select * from final
