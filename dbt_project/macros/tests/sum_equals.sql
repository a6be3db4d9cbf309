{#-
    Money arithmetic: the column equals the sum of `addends` (nulls count as zero), to
    the cent. Used for `net_amount = amount + fees`.
-#}
{% test sum_equals(model, column_name, addends) %}

    select *
    from {{ model }}
    where
        coalesce({{ column_name }}, 0)
        <> {% for addend in addends %}coalesce({{ addend }}, 0){{ " + " if not loop.last }}{% endfor %}

{% endtest %}
