{#-
    A stable key from natural-key expressions: md5 over the values joined by '|', nulls
    spelled out so (a, null) and (null, a) differ. Never built from dlt's `_dlt_id`, which
    changes on every load.
-#}
{% macro surrogate_key(expressions) -%}
    md5(
        {%- for expression in expressions %}
        coalesce(cast({{ expression }} as {{ dbt.type_string() }}), '_null_')
        {%- if not loop.last %} || '|' ||{% endif %}
        {%- endfor %}
    )
{%- endmacro %}
