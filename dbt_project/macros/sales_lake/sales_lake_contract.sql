{#-
    Generated from models/pipeline/contracts.py by `salesdesk contracts --write`; do not edit by hand.

    The lake contract as the dbt project knows it: the ONE place in dbt_project/ that lists
    each entity's key, required columns and contract columns with their types (types that
    DuckDB and Spark both accept). A macro rather than the sources YAML because it must be
    readable at parse time and inside dbt unit tests, where the graph has no sources. The
    sources YAML documents the same columns.
-#}

{% macro sales_lake_contract() %}
    {{ return({
        'customers': {
            'key': ['customer_id'],
            'required': ['customer_id', 'name'],
            'columns': {
                'customer_id': 'string',
                'name': 'string',
                'channel': 'string',
                'region': 'string',
                'district': 'string',
                'address': 'string',
                'latitude': 'double',
                'longitude': 'double',
                'opened_date': 'date',
                'developer_rep_id': 'string',
                'maintainer_rep_id': 'string',
                'is_group_purchase': 'boolean',
                'is_key_account': 'boolean',
                'credit_limit': 'decimal(18,2)',
                'payment_terms_days': 'bigint',
                'visit_window_start': 'string',
                'visit_window_end': 'string',
                'contact_name': 'string',
                'phone': 'string',
                'assigned_from': 'date',
            },
        },
        'reps': {
            'key': ['rep_id'],
            'required': ['rep_id', 'name', 'region'],
            'columns': {
                'rep_id': 'string',
                'name': 'string',
                'region': 'string',
                'manager_rep_id': 'string',
                'role': 'string',
                'hired_date': 'date',
                'left_date': 'date',
                'base_latitude': 'double',
                'base_longitude': 'double',
                'workday_start': 'string',
                'workday_end': 'string',
            },
        },
        'products': {
            'key': ['sku'],
            'required': ['sku', 'name', 'unit_cost'],
            'columns': {
                'sku': 'string',
                'name': 'string',
                'category': 'string',
                'price_band': 'string',
                'list_price': 'decimal(18,4)',
                'unit_cost': 'decimal(18,4)',
            },
        },
        'sales': {
            'key': ['order_id', 'line_number'],
            'required': ['order_id', 'line_number', 'order_date', 'customer_id', 'sku', 'quantity', 'unit_price'],
            'columns': {
                'order_id': 'string',
                'line_number': 'bigint',
                'order_date': 'date',
                'customer_id': 'string',
                'sku': 'string',
                'quantity': 'decimal(18,3)',
                'unit_price': 'decimal(18,4)',
                'discount_rate': 'decimal(9,6)',
                'rep_id': 'string',
                'line_amount': 'decimal(18,2)',
                'status': 'string',
            },
        },
        'visits': {
            'key': ['visit_id'],
            'required': ['visit_id', 'rep_id', 'customer_id', 'started_at'],
            'columns': {
                'visit_id': 'string',
                'rep_id': 'string',
                'customer_id': 'string',
                'started_at': 'timestamp',
                'ended_at': 'timestamp',
                'visit_type': 'string',
                'purpose': 'string',
                'outcome': 'string',
                'relationship_level': 'bigint',
                'checkin_latitude': 'double',
                'checkin_longitude': 'double',
                'notes': 'string',
                'next_step': 'string',
                'follow_up_date': 'date',
                'recorded_by': 'string',
                'recorded_at': 'timestamp',
            },
        },
        'quotas': {
            'key': ['rep_id', 'month'],
            'required': ['rep_id', 'month', 'sales_quota'],
            'columns': {
                'rep_id': 'string',
                'month': 'date',
                'sales_quota': 'decimal(18,2)',
            },
        },
        'assessments': {
            'key': ['customer_id', 'criterion', 'assessed_date'],
            'required': ['customer_id', 'criterion', 'score', 'assessed_date'],
            'columns': {
                'customer_id': 'string',
                'criterion': 'string',
                'score': 'decimal(9,2)',
                'assessed_date': 'date',
                'assessor': 'string',
            },
        },
    }) }}
{% endmacro %}


{% macro sales_lake_load_columns() %}
    {#- The three columns every lake file carries besides the contract columns. -#}
    {{ return({'_load_id': 'string', '_source_row': 'bigint', '_loaded_at': 'timestamp'}) }}
{% endmacro %}


{% macro sales_lake_entities() %}
    {#- Names of the lake entities, in contract order. -#}
    {{ return(sales_lake_contract().keys() | list) }}
{% endmacro %}


{% macro sales_lake_columns(entity, include_load_columns=true) %}
    {#- [{name, data_type}] of raw.<entity>: the contract columns, then the load columns. -#}
    {%- set contract = sales_lake_contract() -%}
    {%- if entity not in contract -%}
        {{ exceptions.raise_compiler_error("sales_lake has no entity " ~ entity) }}
    {%- endif -%}
    {%- set columns = [] -%}
    {%- for name, data_type in contract[entity]['columns'].items() -%}
        {%- do columns.append({'name': name, 'data_type': data_type}) -%}
    {%- endfor -%}
    {%- if include_load_columns -%}
        {%- for name, data_type in sales_lake_load_columns().items() -%}
            {%- do columns.append({'name': name, 'data_type': data_type}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(columns) }}
{% endmacro %}


{% macro sales_lake_key(entity) %}
    {#- The key columns of <entity>. -#}
    {{ return(sales_lake_contract()[entity]['key']) }}
{% endmacro %}


{% macro sales_lake_missing_required(entity) %}
    {#- True when a required column of <entity> is null (text is already trimmed to null). -#}
    ({{ sales_lake_contract()[entity]['required'] | join(' is null or ') }} is null)
{%- endmacro %}
