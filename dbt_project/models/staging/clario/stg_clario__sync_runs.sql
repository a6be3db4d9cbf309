{#-
    The flow writes `sync_runs` before it runs dbt, but `dbt build` by hand on a warehouse
    that has never synced must still work: without the table this is an empty, typed
    relation (`load_relation` is none when the table does not exist).
-#}
{%- set string = dbt.type_string() -%}
{%- set timestamp = clario.type_timestamp_tz() -%}
{%- set bigint = dbt.type_bigint() -%}
{%- set seconds = 'numeric(12, 3)' -%}
{%- set sync_runs = load_relation(source('clario_audit', 'sync_runs')) %}

with

source as (

    {% if sync_runs is none -%}
        select
            cast(null as {{ string }}) as seller_id,
            cast(null as {{ string }}) as data_set,
            cast(null as {{ string }}) as status,
            cast(null as {{ bigint }}) as rows_loaded,
            cast(null as {{ bigint }}) as rows_rejected,
            cast(null as {{ timestamp }}) as window_start,
            cast(null as {{ timestamp }}) as window_end,
            cast(null as {{ seconds }}) as duration_seconds,
            cast(null as {{ string }}) as error,
            cast(null as {{ string }}) as notes,
            cast(null as {{ timestamp }}) as started_at,
            cast(null as {{ timestamp }}) as finished_at,
            cast(null as {{ string }}) as flow_run_id
        where 1 = 0
    {%- else -%}
        select * from {{ sync_runs }}
    {%- endif %}

),

renamed as (

    select
        -- ids
        {{ clario.surrogate_key(['seller_id', 'data_set', 'started_at']) }} as sync_run_id,
        upper(seller_id) as seller_id,
        data_set,
        flow_run_id,

        -- categories
        status,

        -- numerics
        cast(rows_loaded as {{ bigint }}) as rows_loaded,
        cast(rows_rejected as {{ bigint }}) as rows_rejected,
        cast(duration_seconds as {{ seconds }}) as duration_seconds,

        -- text
        error,
        notes,

        -- dates
        cast(window_start as {{ timestamp }}) as window_start,
        cast(window_end as {{ timestamp }}) as window_end,
        cast(started_at as {{ timestamp }}) as started_at,
        cast(finished_at as {{ timestamp }}) as finished_at

    from source

)

select * from renamed
