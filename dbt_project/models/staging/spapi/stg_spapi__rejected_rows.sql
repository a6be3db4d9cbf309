with

source as (

    select * from {{ ref('base_spapi__rejected_rows') }}

),

renamed as (

    select
        -- ids
        seller_id,
        marketplace_id,
        rejected_row_id,

        -- categories
        resource,
        reason,
        raw_line,

        -- numerics
        line_number,

        -- flags
        is_sandbox,

        -- lineage
        source_report,
        _dlt_load_id

    from source

)

select * from renamed
