-- one row per seller and order: its items' count, units and priced total
with

order_items as (

    select * from {{ ref('int_order_items_priced') }}

),

aggregated as (

    select
        seller_id,
        order_id,
        _dlt_load_id,
        count(*) as item_count,
        cast(sum(quantity_ordered) as {{ dbt.type_bigint() }}) as units_ordered,
        -- unknown (null) when any item's shipped quantity is: a partial sum would undercount
        case
            when count(quantity_shipped) = count(*)
                then cast(sum(quantity_shipped) as {{ dbt.type_bigint() }})
        end as units_shipped,
        sum(item_price + coalesce(item_tax, 0) - promotion_discount) as items_total,
        max(currency) as currency

    from order_items
    group by seller_id, order_id, _dlt_load_id

)

select * from aggregated
