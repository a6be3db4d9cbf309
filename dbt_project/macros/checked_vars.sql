{#-
    The dbt vars that are written into SQL, checked where they are read and once more in
    on-run-start (macros/raw_table.sql: require_sellers), so a value that is not what it
    says stops every command, naming the var, before any SQL runs: a var is configuration,
    and configuration never becomes SQL text unchecked (the schema names and the sellers
    var are checked in macros/raw_table.sql).
-#}

{#- A whole number of hours or days: an int, or a string of digits. -#}
{% macro whole_number_var(name) %}
    {%- set value = var(name) -%}
    {%- if value is number and value is not boolean and value == (value | int) -%}
        {{- return(value | int) -}}
    {%- elif value is string and modules.re.match('^-?[0-9]{1,9}$', value) -%}
        {{- return(value | int) -}}
    {%- endif -%}
    {{- exceptions.raise_compiler_error(
        "var " ~ name ~ ": " ~ (value | string | tojson) ~ " is not a whole number"
    ) -}}
{% endmacro %}


{#- var claims_as_of as a SQL date: a YYYY-MM-DD literal, or the build's current date. -#}
{% macro claims_as_of_date() %}
    {%- set as_of = var('claims_as_of') -%}
    {%- if not as_of -%}
        {{- return('current_date') -}}
    {%- endif -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', as_of | string) -%}
        {{- exceptions.raise_compiler_error(
            "var claims_as_of: " ~ (as_of | string | tojson)
            ~ " is not a date (YYYY-MM-DD, or empty for the build's day)"
        ) -}}
    {%- endif -%}
    {{- return("cast('" ~ (as_of | string) ~ "' as date)") -}}
{% endmacro %}


{#- var claim_windows: claim types (lower-case names) to whole-day bounds. -#}
{% macro claim_windows() %}
    {%- set windows = var('claim_windows') -%}
    {%- if windows is not mapping -%}
        {{- exceptions.raise_compiler_error(
            "var claim_windows: expected a mapping of claim type to its window"
        ) -}}
    {%- endif -%}
    {%- set checked = {} -%}
    {%- for name, window in windows.items() -%}
        {%- if not modules.re.match('^[a-z][a-z0-9_]{0,62}$', name | string) -%}
            {{- exceptions.raise_compiler_error(
                "var claim_windows: " ~ (name | string | tojson)
                ~ " is not a claim type (lower-case letters, digits and _)"
            ) -}}
        {%- endif -%}
        {%- set bounds = {} -%}
        {%- for bound in ('opens_after_days', 'closes_after_days') -%}
            {%- set value = window[bound] if window is mapping else none -%}
            {%- if not (value is number and value is not boolean and value == (value | int)) -%}
                {{- exceptions.raise_compiler_error(
                    "var claim_windows: " ~ name ~ "." ~ bound ~ " must be a whole number of days"
                ) -}}
            {%- endif -%}
            {%- do bounds.update({bound: value | int}) -%}
        {%- endfor -%}
        {%- do checked.update({name: bounds}) -%}
    {%- endfor -%}
    {{- return(checked) -}}
{% endmacro %}


{#- Every var above, for on-run-start. -#}
{% macro check_vars() %}
    {%- for name in ('sync_fresh_hours', 'claim_closing_soon_days', 'claim_value_lookback_days') -%}
        {%- do clario.whole_number_var(name) -%}
    {%- endfor -%}
    {%- do clario.claims_as_of_date() -%}
    {%- do clario.claim_windows() -%}
{% endmacro %}
