{#-
    The Clario user owning a seller: `var('seller_users')` maps seller_id -> user_id (the
    flow fills it from the sellers file); a seller missing there is its own user.
-#}
{% macro user_id(seller_column='seller_id') -%}
    {%- set users = var('seller_users') -%}
    {%- if users | length == 0 -%}
        cast({{ seller_column }} as {{ dbt.type_string() }})
    {%- else -%}
        case {{ seller_column }}
            {%- for seller_id, user_id in users.items() %}
            when '{{ seller_id | upper }}' then '{{ user_id }}'
            {%- endfor %}
            else {{ seller_column }}
        end
    {%- endif -%}
{%- endmacro %}
