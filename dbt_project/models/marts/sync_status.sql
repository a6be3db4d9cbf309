{#-
    A view, not a table: `hours_since_success` and `is_fresh` are computed when it is read,
    so `clario status` shows how stale a seller is now, not at the last build.
-#}
{{ config(materialized='view') }}

with

sellers as (

    select * from {{ ref('stg_clario__sellers') }}

),

sync_runs as (

    select * from {{ ref('stg_clario__sync_runs') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by seller_id, data_set
            order by started_at desc
        ) as recency

    from sync_runs

),

latest as (

    select * from ranked
    where recency = 1

),

-- "synced up to": the newest window a run completed without error
successes as (

    select
        seller_id,
        data_set,
        max(finished_at) as last_success_at,
        max(window_end) as synced_through_at

    from sync_runs
    -- a partial run completed its window too (its rejected rows are kept apart)
    where status in ('ok', 'partial')
    group by seller_id, data_set

),

failures as (

    select
        seller_id,
        data_set,
        count(*) as failed_runs

    from sync_runs
    where status = 'failed'
    group by seller_id, data_set

),

final as (

    select
        -- ids
        sellers.user_id,
        latest.seller_id,
        latest.data_set,
        latest.flow_run_id as last_flow_run_id,

        -- categories
        latest.status as last_status,

        -- numerics
        latest.rows_loaded as last_rows_loaded,
        latest.rows_rejected as last_rows_rejected,
        latest.duration_seconds as last_duration_seconds,
        coalesce(failures.failed_runs, 0) as failed_runs,
        cast(
            {{ dbt.datediff('successes.last_success_at', dbt.current_timestamp(), 'minute') }}
            / 60.0 as numeric(12, 1)
        ) as hours_since_success,

        -- text
        latest.error as last_error,

        -- dates
        latest.started_at as last_started_at,
        latest.finished_at as last_finished_at,
        latest.window_start as last_window_start_at,
        latest.window_end as last_window_end_at,
        successes.last_success_at,
        successes.synced_through_at,

        -- flags
        coalesce(
            successes.last_success_at
            >= {{ dbt.dateadd(
                'hour', -clario.whole_number_var('sync_fresh_hours'), dbt.current_timestamp()
            ) }},
            false
        ) as is_fresh

    from latest
    left join successes
        on
            latest.seller_id = successes.seller_id
            and latest.data_set = successes.data_set
    left join failures
        on
            latest.seller_id = failures.seller_id
            and latest.data_set = failures.data_set
    -- the warehouse's sellers only: a removed seller's history stays in sync_runs
    inner join sellers
        on
            latest.seller_id = sellers.seller_id

)

select * from final
