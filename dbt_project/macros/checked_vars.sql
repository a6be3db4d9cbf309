{#-
    The dbt vars that are written into SQL, checked where they are read and once more in
    on-run-start (macros/raw_table.sql: require_sellers), so a value that is not what it
    says stops every command, naming the var, before any SQL runs: a var is configuration,
    and configuration never becomes SQL text unchecked. The schema names and the sellers
    var are checked in macros/raw_table.sql, the claims' vars in macros/claim_windows.sql.
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


{#- Every var written into SQL, for on-run-start. -#}
{% macro check_vars() %}
    {%- do clario.whole_number_var('sync_fresh_hours') -%}
    {%- do clario.check_claim_settings() -%}
{% endmacro %}
