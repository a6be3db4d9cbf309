-- Every settlement line's `fees` is the sum of its fee components in `settlement_fees`.
with

lines as (

    select * from {{ ref('settlements') }}

),

fees as (

    select * from {{ ref('settlement_fees') }}

),

fees_per_line as (

    select
        settlement_line_id,
        sum(amount) as fees

    from fees
    group by settlement_line_id

)

select
    lines.settlement_line_id,
    lines.fees,
    fees_per_line.fees as fee_components
from lines
left join fees_per_line
    on lines.settlement_line_id = fees_per_line.settlement_line_id
where lines.fees <> coalesce(fees_per_line.fees, 0)
