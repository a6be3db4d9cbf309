{#-
    The claims' settings (dbt_project.yml documents them and their defaults). They reach
    the `claims` mart's SQL, so each is checked, and a value that is not what it must be
    stops the build with the var's name instead of being coerced (`| int` would turn
    "a week" into 0 days) or written into SQL as it is.
-#}
{% macro claim_setting_error(name, value, expected) -%}
    {{- exceptions.raise_compiler_error(
        "var " ~ name ~ ": " ~ (value | string | tojson) ~ " is not " ~ expected
    ) -}}
{%- endmacro %}


{#- A whole number of days from `lowest` up (booleans are not numbers here). -#}
{% macro checked_days(name, value, lowest=0) %}
    {%- if value is not integer or value is boolean or value < lowest -%}
        {%- do clario.claim_setting_error(name, value, "a whole number of days, " ~ lowest ~ " or more") -%}
    {%- endif -%}
    {{- return(value) -}}
{% endmacro %}


{#-
    var `claim_windows`: for each claim type, and only those, `opens_after_days` and
    `closes_after_days`, whole days with opens <= closes.
-#}
{% macro claim_windows() %}
    {%- set types = ['inbound_shortfall', 'warehouse_lost', 'warehouse_damaged', 'refund_without_return'] -%}
    {%- set windows = var('claim_windows') -%}
    {%- if windows is not mapping or (windows.keys() | map('string') | sort | list) != (types | sort | list) -%}
        {%- do clario.claim_setting_error(
            'claim_windows', windows, "a window for each claim type and no other: " ~ (types | join(', '))
        ) -%}
    {%- endif -%}
    {%- set checked = {} -%}
    {%- for claim_type in types -%}
        {%- set window = windows[claim_type] -%}
        {%- set name = 'claim_windows.' ~ claim_type -%}
        {%- if window is not mapping or (window.keys() | map('string') | sort | list) != ['closes_after_days', 'opens_after_days'] -%}
            {%- do clario.claim_setting_error(name, window, "{opens_after_days: <days>, closes_after_days: <days>}") -%}
        {%- endif -%}
        {%- set opens = clario.checked_days(name ~ '.opens_after_days', window['opens_after_days']) -%}
        {%- set closes = clario.checked_days(name ~ '.closes_after_days', window['closes_after_days'], opens) -%}
        {%- do checked.update({claim_type: {'opens_after_days': opens, 'closes_after_days': closes}}) -%}
    {%- endfor -%}
    {{- return(checked) -}}
{% endmacro %}


{#- var `claims_as_of`: empty (the build's current date) or a YYYY-MM-DD day; SQL for it. -#}
{% macro claims_as_of_sql() %}
    {%- set as_of = var('claims_as_of') -%}
    {%- if as_of is none or (as_of | string) == '' -%}
        {{- return('current_date') -}}
    {%- endif -%}
    {%- if not modules.re.match('^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$', as_of | string) -%}
        {%- do clario.claim_setting_error('claims_as_of', as_of, "empty or a day as YYYY-MM-DD") -%}
    {%- endif -%}
    {{- return("cast('" ~ as_of ~ "' as date)") -}}
{% endmacro %}


{#- Every claims setting, checked: on-run-start calls it so a bad one stops any command. -#}
{% macro check_claim_settings() %}
    {%- do clario.claim_windows() -%}
    {%- do clario.claims_as_of_sql() -%}
    {%- do clario.checked_days('claim_closing_soon_days', var('claim_closing_soon_days')) -%}
    {%- do clario.checked_days('claim_value_lookback_days', var('claim_value_lookback_days'), 1) -%}
{% endmacro %}


{#-
    The first or last day a claim can be filed: its event date plus the window's bound for
    its type, from var `claim_windows`. `bound` is `opens_after_days` or
    `closes_after_days`.
-#}
{% macro claim_window_day(claim_type, event_date, bound) -%}
    case {{ claim_type }}
    {%- for name, window in clario.claim_windows().items() %}
        when '{{ name }}' then {{ clario.add_days(event_date, window[bound]) }}
    {%- endfor %}
    end
{%- endmacro %}
