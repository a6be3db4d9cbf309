{#-
    The first or last day a claim can be filed: its event date plus the window's bound for
    its type, from var `claim_windows` (dbt_project.yml documents the defaults; checked in
    macros/checked_vars.sql). `bound`
    is `opens_after_days` or `closes_after_days`. A type without a window gets null.
-#}
{% macro claim_window_day(claim_type, event_date, bound) -%}
    case {{ claim_type }}
    {%- for name, window in clario.claim_windows().items() %}
        when '{{ name }}' then {{ clario.add_days(event_date, window[bound]) }}
    {%- endfor %}
    end
{%- endmacro %}
