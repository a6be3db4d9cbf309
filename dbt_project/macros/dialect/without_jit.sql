{#-
    A pre-hook of the marts and of `int_failed_casts_by_record`, the models that run a query
    (views run none when created): Postgres compiles none of them to machine code
    (`set local jit = off`, for the model's own transaction). An incremental build's load
    filter writes each seller's watermark into the SQL (new_loads_filter.sql), a `case`
    with a branch per seller; Postgres' JIT compiled it, with LLVM, into every scan of
    every worker, and at 1,000 sellers spent 32 s compiling for a 1.2 s query
    (`orders`): the incremental build took 153 s, its full build 56 s. Without JIT the
    full build takes the same time (57 s with it, 60 s without). DuckDB has no JIT.
-#}
{% macro without_jit() %}
    {{- return(adapter.dispatch('without_jit', 'clario')()) -}}
{% endmacro %}

{% macro default__without_jit() -%}
{%- endmacro %}

{% macro postgres__without_jit() -%}
    set local jit = off
{%- endmacro %}
