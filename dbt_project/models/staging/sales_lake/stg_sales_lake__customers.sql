-- Valid customers (one row per customer_id), with business names and defaults.

{%- set visit_window_start = "coalesce(visit_window_start, '" ~ var('default_visit_window_start') ~ "')" %}
{%- set visit_window_end = "coalesce(visit_window_end, '" ~ var('default_visit_window_end') ~ "')" %}

with

checked as (

    select * from {{ ref('base_sales_lake__customers') }}
    where rejection_rule is null

),

renamed as (

    select
        -- ids
        customer_id,
        maintainer_rep_id,
        developer_rep_id,

        -- descriptive (an unknown or empty channel is 'other')
        name as customer_name,
        case
            when channel in (
                'hotel_restaurant', 'retail_store', 'supermarket', 'liquor_tobacco_shop',
                'enterprise', 'distributor', 'other'
            ) then channel
            else 'other'
        end as channel,
        region,
        district,
        address,

        -- contact (optional; tap-to-call on the phone pages)
        contact_name,
        phone,

        -- location
        latitude,
        longitude,

        -- account
        opened_date,
        coalesce(is_group_purchase, false) as is_group_purchase,
        coalesce(is_key_account, false) as is_key_account,
        credit_limit,
        payment_terms_days,

        -- visit window (defaults are vars; minutes after midnight for route planning)
        {{ visit_window_start }} as visit_window_start,
        {{ visit_window_end }} as visit_window_end,
        {{ hhmm_to_minutes(visit_window_start) }} as visit_window_start_min,
        {{ hhmm_to_minutes(visit_window_end) }} as visit_window_end_min,

        -- load
        load_id,
        source_row,
        loaded_at

    from checked

)

select * from renamed
