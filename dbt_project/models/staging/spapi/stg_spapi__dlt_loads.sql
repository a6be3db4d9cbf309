with

source as (

    select * from {{ ref('base_spapi__dlt_loads') }}

),

renamed as (

    select
        -- ids (a load id is unique in the dataset: no seller needed)
        load_id,
        schema_name,

        -- dates
        inserted_at as loaded_at,

        -- flags
        coalesce(status = 0, false) as is_successful

    from source

)

select * from renamed
