{#-
    Like dbt's `relationships`, but within a seller: ids are the seller's (Amazon order ids
    are unique per marketplace, not across sellers), so the parent must be the same
    seller's row.
-#}
{% test relationships_by_seller(model, column_name, to, field, seller_column='seller_id') %}

    with

    child as (

        select * from {{ model }}

    ),

    parent as (

        select * from {{ to }}

    )

    select
        child.{{ seller_column }},
        child.{{ column_name }}
    from child
    left join parent
        on
            child.{{ seller_column }} = parent.{{ seller_column }}
            and child.{{ column_name }} = parent.{{ field }}
    where
        child.{{ column_name }} is not null
        and parent.{{ field }} is null

{% endtest %}
