{#-
    One row per reimbursement claim candidate (the `claims` doc): what Amazon may still owe,
    with the reimbursements and found units matched to it, its value and its window.

    Matching (per seller, claim type and SKU): reimbursements and found units go first in,
    first out to the candidates whose event happened at or before them, oldest first (ties
    by reference), each up to its remaining units; what cannot be placed is ignored. Done
    without a loop: candidates fill one cumulative line of units in their order, a credit
    k (credits in time order, S_k their running sum) can reach the units of candidates
    that happened by its time (E_k), and the line is filled up to
    F_k = min(F_k-1 + q_k, E_k) = S_k + min(0, min over j <= k of (E_j - S_j)),
    a running minimum; credit k fills [F_k-1, F_k), and each candidate takes the part of
    that range within its own. Refunds are matched to the CustomerReturn reimbursements
    of their order x SKU, oldest first.
-#}
{#- Postgres: hash joins only (macros/dialect/hash_joins_only.sql) -#}
{{ config(pre_hook="{{ clario.hash_joins_only() }}") }}
{%- set today = clario.claims_as_of_sql() -%}
{%- set closing_soon_days = clario.checked_days(
    'claim_closing_soon_days', var('claim_closing_soon_days')
) -%}
{%- set money = clario.type_money() -%}
{%- set bigint = dbt.type_bigint() %}

with

candidates as (

    select
        *,
        {{ clario.surrogate_key(['seller_id', 'claim_type', 'evidence']) }} as claim_id
    from {{ ref('int_claim_candidates') }}

),

credits as (

    select * from {{ ref('int_claim_credits') }}

),

sellers as (

    select * from {{ ref('stg_clario__sellers') }}

),

order_items as (

    select * from {{ ref('order_items') }}

),

orders as (

    select * from {{ ref('orders') }}

),

-- candidates on their cumulative line of units (claim types matched first in, first out)
fifo_candidates as (

    select
        claim_id,
        seller_id,
        claim_type,
        match_group,
        event_at,
        units_affected,
        sum(units_affected) over (
            partition by seller_id, claim_type, match_group
            order by event_at, reference, evidence
            rows between unbounded preceding and current row
        ) as line_end

    from candidates
    where claim_type <> 'refund_without_return'

),

-- candidates and credits in one time line per group: the units of the candidates that
-- happened by each credit (a candidate at the same moment counts; one without a time
-- never does: nulls sort last)
fifo_timeline as (

    select
        seller_id,
        claim_type,
        match_group,
        event_at as happened_at,
        0 as is_credit,
        units_affected as candidate_units,
        cast(null as {{ dbt.type_string() }}) as credit_kind,
        cast(null as {{ dbt.type_string() }}) as reference,
        cast(null as {{ dbt.type_string() }}) as evidence,
        cast(0 as {{ bigint }}) as quantity,
        cast(null as {{ money }}) as amount_per_unit

    from fifo_candidates

    union all

    select
        seller_id,
        claim_type,
        match_group,
        credited_at as happened_at,
        1 as is_credit,
        0 as candidate_units,
        credit_kind,
        reference,
        evidence,
        quantity,
        amount_per_unit

    from credits
    where claim_type <> 'refund_without_return'

),

fifo_reach as (

    select
        *,
        sum(candidate_units) over (
            partition by seller_id, claim_type, match_group
            order by happened_at, is_credit
            rows between unbounded preceding and current row
        ) as reachable_units

    from fifo_timeline

),

fifo_credits as (

    select
        seller_id,
        claim_type,
        match_group,
        credit_kind,
        reference,
        evidence,
        happened_at as credited_at,
        quantity,
        amount_per_unit,
        reachable_units,
        sum(quantity) over (
            partition by seller_id, claim_type, match_group
            order by happened_at, reference, evidence
            rows between unbounded preceding and current row
        ) as running_quantity

    from fifo_reach
    where is_credit = 1

),

fifo_fill_after as (

    select
        *,
        running_quantity + least(0, min(reachable_units - running_quantity) over (
            partition by seller_id, claim_type, match_group
            order by credited_at, reference, evidence
            rows between unbounded preceding and current row
        )) as fill_after

    from fifo_credits

),

fifo_fills as (

    select
        *,
        coalesce(lag(fill_after) over (
            partition by seller_id, claim_type, match_group
            order by credited_at, reference, evidence
        ), 0) as fill_before

    from fifo_fill_after

),

fifo_allocations as (

    select
        fifo_candidates.claim_id,
        fifo_fills.credit_kind,
        fifo_fills.reference,
        fifo_fills.evidence,
        fifo_fills.credited_at,
        fifo_fills.amount_per_unit,
        least(fifo_fills.fill_after, fifo_candidates.line_end)
        - greatest(
            fifo_fills.fill_before, fifo_candidates.line_end - fifo_candidates.units_affected
        ) as units

    from fifo_candidates
    inner join fifo_fills
        on
            fifo_candidates.seller_id = fifo_fills.seller_id
            and fifo_candidates.claim_type = fifo_fills.claim_type
            and fifo_candidates.match_group = fifo_fills.match_group
            -- the credit's range overlaps the candidate's (a range join, not every pair)
            and fifo_candidates.line_end > fifo_fills.fill_before
            and fifo_candidates.line_end - fifo_candidates.units_affected < fifo_fills.fill_after

),

refund_credits as (

    select
        *,
        sum(quantity) over (
            partition by seller_id, match_group
            order by credited_at, reference, evidence
            rows between unbounded preceding and current row
        ) - quantity as quantity_before

    from credits
    where claim_type = 'refund_without_return'

),

refund_allocations as (

    select
        candidates.claim_id,
        refund_credits.credit_kind,
        refund_credits.reference,
        refund_credits.evidence,
        refund_credits.credited_at,
        refund_credits.amount_per_unit,
        least(refund_credits.quantity_before + refund_credits.quantity, candidates.units_affected)
        - refund_credits.quantity_before as units

    from candidates
    inner join refund_credits
        on
            candidates.seller_id = refund_credits.seller_id
            and candidates.match_group = refund_credits.match_group
    where candidates.claim_type = 'refund_without_return'

),

allocations as (

    select * from fifo_allocations
    where units > 0
    union all
    select * from refund_allocations
    where units > 0

),

matched as (

    select
        claim_id,
        cast(sum(case when credit_kind = 'found' then units else 0 end) as {{ bigint }})
            as units_found,
        cast(sum(case when credit_kind = 'reimbursement' then units else 0 end) as {{ bigint }})
            as units_reimbursed,
        cast(sum(units * coalesce(amount_per_unit, 0)) as {{ money }}) as amount_reimbursed,
        string_agg(
            case when credit_kind = 'reimbursement' then reference end, ','
            order by credited_at, reference
        ) as reimbursement_ids,
        string_agg(evidence, ',' order by credited_at, reference) as credit_evidence

    from allocations
    group by claim_id

),

-- what the seller sold each SKU for, per marketplace and purchase day (shipped orders)
sales as (

    select
        order_items.seller_id,
        orders.marketplace_id,
        order_items.sku,
        {{ clario.utc_date('orders.order_date') }} as sale_date,
        sum(order_items.item_price - coalesce(order_items.promotion_discount, 0)) as net_amount,
        sum(order_items.units_ordered) as units,
        max(order_items.currency) as currency

    from order_items
    inner join orders
        on
            order_items.seller_id = orders.seller_id
            and order_items.order_id = orders.order_id
    where orders.order_status = 'shipped' and order_items.item_price is not null
    group by
        order_items.seller_id,
        orders.marketplace_id,
        order_items.sku,
        {{ clario.utc_date('orders.order_date') }}

),

placed as (

    select
        candidates.*,
        {{ clario.utc_date('candidates.event_at') }} as event_date,
        coalesce(
            candidates.marketplace_id, split_part(sellers.marketplace_ids, ',', 1)
        ) as value_marketplace_id,
        sellers.user_id

    from candidates
    left join sellers
        on
            candidates.seller_id = sellers.seller_id

),

{%- set lookback = clario.checked_days(
    'claim_value_lookback_days', var('claim_value_lookback_days'), 1
) %}
{%- set in_lookback -%}
    sales.sale_date >= {{ clario.add_days('placed.event_date', -lookback) }}
    and sales.sale_date < placed.event_date
{%- endset %}

-- the SKU's average net sale price: over the look-back before the event, else ever
sale_sums as (

    select
        placed.claim_id,
        sum(case when {{ in_lookback }} then sales.net_amount end) as lookback_net,
        sum(case when {{ in_lookback }} then sales.units end) as lookback_units,
        sum(sales.net_amount) as all_net,
        sum(sales.units) as all_units,
        max(sales.currency) as currency

    from placed
    inner join sales
        on
            placed.seller_id = sales.seller_id
            and placed.value_marketplace_id = sales.marketplace_id
            and placed.sku = sales.sku
    group by placed.claim_id

),

valued as (

    select
        claim_id,
        currency,
        case
            when lookback_units > 0 then 'average_net_sale_price_{{ lookback }}_days'
            when all_units > 0 then 'average_net_sale_price_all_time'
        end as value_basis,
        cast(case
            when lookback_units > 0
                then {{ clario.cents_half_up('lookback_net', 'lookback_units') }}
            when all_units > 0 then {{ clario.cents_half_up('all_net', 'all_units') }}
        end as {{ money }}) as unit_value

    from sale_sums

),

windowed as (

    select
        placed.*,
        {{ clario.claim_window_day('placed.claim_type', 'placed.event_date', 'opens_after_days') }}
            as window_opens_date,
        {{ clario.claim_window_day('placed.claim_type', 'placed.event_date', 'closes_after_days') }}
            as window_closes_date,
        cast(placed.units_affected - coalesce(matched.units_found, 0) as {{ bigint }})
            as units_left,
        coalesce(matched.units_found, 0) as units_found,
        coalesce(matched.units_reimbursed, 0) as units_reimbursed,
        coalesce(matched.amount_reimbursed, 0) as amount_reimbursed,
        matched.reimbursement_ids,
        matched.credit_evidence,
        valued.currency,
        coalesce(valued.value_basis, 'no_sales') as value_basis,
        coalesce(valued.unit_value, 0) as unit_value

    from placed
    left join matched
        on
            placed.claim_id = matched.claim_id
    left join valued
        on
            placed.claim_id = valued.claim_id
    -- found again in full: nothing was lost
    where placed.units_affected - coalesce(matched.units_found, 0) > 0

),

final as (

    select
        -- ids
        user_id,
        seller_id,
        value_marketplace_id as marketplace_id,
        claim_id,
        sku,
        fnsku,
        asin,
        reference,

        -- dates
        event_at,
        event_date,
        window_opens_date,
        window_closes_date,
        {{ today }} as as_of_date,

        -- categories
        claim_type,
        case
            when units_reimbursed >= units_left then 'reimbursed'
            when units_reimbursed > 0 then 'partly_reimbursed'
            when {{ today }} < window_opens_date then 'too_early'
            when {{ today }} > window_closes_date then 'expired'
            when
                window_closes_date
                <= {{ clario.add_days(today, closing_soon_days) }}
                then 'closing_soon'
            else 'open'
        end as status,
        value_basis,

        -- numerics
        units_left as units_affected,
        cast(units_found as {{ bigint }}) as units_found,
        cast(units_reimbursed as {{ bigint }}) as units_reimbursed,
        cast(greatest(units_left - units_reimbursed, 0) as {{ bigint }}) as units_owed,
        cast(amount_reimbursed as {{ money }}) as amount_reimbursed,
        cast(unit_value as {{ money }}) as unit_value,
        cast(unit_value * greatest(units_left - units_reimbursed, 0) as {{ money }})
            as estimated_value_owed,
        currency,

        -- flags
        coalesce(
            units_left > units_reimbursed
            and window_opens_date <= {{ today }}
            and {{ today }} <= window_closes_date,
            false
        ) as is_claimable,

        -- lineage
        coalesce(reimbursement_ids, '') as reimbursement_ids,
        evidence || coalesce(',' || credit_evidence, '') as evidence,
        {{ clario.build_started_at() }} as transformed_at

    from windowed

)

select * from final
