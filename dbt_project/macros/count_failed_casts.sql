{#-
    Per seller, how many rows of each staging model carry `has_cast_error`: one select per
    (raw table, staging model) pair, unioned. Columns: seller_id, resource,
    rejection_kind ('failed_cast'), row_count, _dlt_load_id (the newest such row's load).
-#}
{% macro count_failed_casts(checked) %}
    {%- for resource, model in checked %}
    select
        seller_id,
        '{{ resource }}' as resource,
        'failed_cast' as rejection_kind,
        count(*) as row_count,
        max(_dlt_load_id) as _dlt_load_id
    from {{ ref(model) }}
    where has_cast_error
    group by seller_id
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{% endmacro %}
