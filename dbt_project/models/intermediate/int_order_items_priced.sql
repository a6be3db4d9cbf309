-- one row per seller, order and item: the item with its proceeds breakdowns as columns
--
-- The item and its breakdowns are unioned first and added up per item after: both carry
-- the order's load id, which the aggregate groups by, so an incremental mart's load
-- filter reaches the breakdowns' raw table too, instead of joining new items to every
-- breakdown ever loaded, added up (int_settlement_lines_unioned does the same).
{%- set string = dbt.type_string() %}
{%- set bigint = dbt.type_bigint() %}
{%- set money = clario.type_money() %}
{%- set boolean = dbt.type_boolean() %}

with

order_items as (

    select * from {{ ref('stg_spapi__order_items') }}

),

breakdowns as (

    select * from {{ ref('stg_spapi__order_item_proceeds_breakdowns') }}

),

-- the items themselves (is_item = 1) and their breakdowns
item_parts as (

    select
        seller_id,
        order_id,
        item_index,
        _dlt_load_id,
        1 as is_item,
        marketplace_id,
        order_item_id,
        sku,
        asin,
        quantity_ordered,
        quantity_shipped,
        coalesce(unit_price_currency, proceeds_currency) as item_currency,
        is_sandbox,
        has_cast_error,
        source_report,
        cast(null as {{ string }}) as breakdown_type,
        cast(null as {{ money }}) as amount,
        cast(null as {{ string }}) as breakdown_currency
    from order_items

    union all

    select
        seller_id,
        order_id,
        item_index,
        _dlt_load_id,
        0 as is_item,
        cast(null as {{ string }}) as marketplace_id,
        cast(null as {{ string }}) as order_item_id,
        cast(null as {{ string }}) as sku,
        cast(null as {{ string }}) as asin,
        cast(null as {{ bigint }}) as quantity_ordered,
        cast(null as {{ bigint }}) as quantity_shipped,
        cast(null as {{ string }}) as item_currency,
        cast(null as {{ boolean }}) as is_sandbox,
        has_cast_error,
        cast(null as {{ string }}) as source_report,
        breakdown_type,
        amount,
        currency as breakdown_currency
    from breakdowns

),

priced as (

    select
        -- ids
        seller_id,
        max(marketplace_id) as marketplace_id,
        order_id,
        -- items backfilled from the all-orders report have no id: order id and SKU stand in
        coalesce(max(order_item_id), order_id || ':' || max(sku)) as order_item_id,
        item_index,
        max(sku) as sku,
        max(asin) as asin,

        -- numerics
        max(quantity_ordered) as quantity_ordered,
        max(quantity_shipped) as quantity_shipped,
        cast(
            sum(case when breakdown_type = 'item' then amount end) as {{ money }}
        ) as item_price,
        cast(
            sum(case when breakdown_type = 'tax' then amount end) as {{ money }}
        ) as item_tax,
        -- Amazon sends the discount as a negative subtotal; kept as the positive amount off
        cast(
            coalesce(-sum(case when breakdown_type = 'discount' then amount end), 0)
            as {{ money }}
        ) as promotion_discount,
        coalesce(max(breakdown_currency), max(item_currency)) as currency,

        -- flags
        max(order_item_id) is null as is_order_item_id_surrogate,
        {{ dbt.bool_or('is_sandbox') }} as is_sandbox,
        {{ dbt.bool_or('has_cast_error') }} as has_cast_error,

        -- lineage
        max(source_report) as source_report,
        _dlt_load_id

    from item_parts
    group by seller_id, order_id, item_index, _dlt_load_id
    having max(is_item) = 1

)

select * from priced
