-- Every settlement line's `fees` is the sum of its fee components in `settlement_fees`;
-- in an incremental build, every line it wrote (macros/build_scope.sql).
with

lines as (

    select * from {{ ref('settlements') }}
    where {{ clario.written_by_this_build('model.clario.settlements') }}

),

fees as (

    select * from {{ ref('settlement_fees') }}
    where settlement_line_id in (select lines.settlement_line_id from lines)

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
