{#-
    The sellers the warehouse holds, as the extractor recorded them: who owns each one
    (`user_id`) for every mart. Without the table (nothing synced yet) this is an empty,
    typed relation; `dbt build` then stops before the marts (macros/raw_table.sql,
    require_sellers).
-#}
{%- set string = dbt.type_string() -%}
{%- set timestamp = clario.type_timestamp_tz() -%}
{%- set sellers = load_relation(source('clario_audit', 'sellers')) %}

with

source as (

    {% if sellers is none -%}
        select
            cast(null as {{ string }}) as seller_id,
            cast(null as {{ string }}) as user_id,
            cast(null as {{ string }}) as region,
            cast(null as {{ string }}) as marketplace_ids,
            cast(null as {{ dbt.type_boolean() }}) as is_sandbox,
            cast(null as {{ timestamp }}) as first_synced_at,
            cast(null as {{ timestamp }}) as last_synced_at
        where 1 = 0
    {%- else -%}
        select * from {{ sellers }}
    {%- endif %}

),

renamed as (

    select
        -- ids
        cast(seller_id as {{ string }}) as seller_id,
        cast(user_id as {{ string }}) as user_id,

        -- categories
        cast(region as {{ string }}) as region,
        cast(marketplace_ids as {{ string }}) as marketplace_ids,

        -- flags
        cast(is_sandbox as {{ dbt.type_boolean() }}) as is_sandbox,

        -- dates
        cast(first_synced_at as {{ timestamp }}) as first_synced_at,
        cast(last_synced_at as {{ timestamp }}) as last_synced_at

    from source
    where {{ clario.sellers_wanted('seller_id') }}

)

select * from renamed
