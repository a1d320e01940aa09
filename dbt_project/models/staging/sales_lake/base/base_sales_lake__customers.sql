-- Every lake row of customers, typed, with the first rejection rule it fails (null = valid).
-- Column names stay the contract's so rejected rows can show them as they were loaded.

with

source as {{ not_materialized() }} (

    select * from {{ source('sales_lake', 'customers') }}

),

typed as {{ not_materialized() }} (

    select
        -- key
        nullif(trim(cast(customer_id as {{ dbt.type_string() }})), '') as customer_id,

        -- descriptive
        nullif(trim(cast(name as {{ dbt.type_string() }})), '') as name,
        lower(nullif(trim(cast(channel as {{ dbt.type_string() }})), '')) as channel,
        nullif(trim(cast(region as {{ dbt.type_string() }})), '') as region,
        nullif(trim(cast(district as {{ dbt.type_string() }})), '') as district,
        nullif(trim(cast(address as {{ dbt.type_string() }})), '') as address,

        -- location
        cast(latitude as double) as latitude,
        cast(longitude as double) as longitude,

        -- reps and account
        cast(opened_date as date) as opened_date,
        nullif(trim(cast(developer_rep_id as {{ dbt.type_string() }})), '') as developer_rep_id,
        nullif(trim(cast(maintainer_rep_id as {{ dbt.type_string() }})), '') as maintainer_rep_id,
        cast(is_group_purchase as {{ dbt.type_boolean() }}) as is_group_purchase,
        cast(is_key_account as {{ dbt.type_boolean() }}) as is_key_account,
        cast(credit_limit as decimal(18, 2)) as credit_limit,
        cast(payment_terms_days as {{ dbt.type_bigint() }}) as payment_terms_days,

        -- visit window (HH:MM)
        nullif(trim(cast(visit_window_start as {{ dbt.type_string() }})), '') as visit_window_start,
        nullif(trim(cast(visit_window_end as {{ dbt.type_string() }})), '') as visit_window_end,

        -- contact
        nullif(trim(cast(contact_name as {{ dbt.type_string() }})), '') as contact_name,
        nullif(trim(cast(phone as {{ dbt.type_string() }})), '') as phone,

        -- from when this row's maintainer, developer and region are in force (null: the load)
        cast(assigned_from as date) as assigned_from,

        -- load
        {{ sales_lake_typed_load_columns() }}

    from source

),

-- Missing required columns; then per key (among complete rows) the latest load wins, then
-- the first row of that load.
{{ sales_lake_rank_by_key('customers', 'typed') }},

-- The only join in staging: a rep reference must point at a valid (staged) rep.
known_reps as (

    select rep_id from {{ ref('stg_sales_lake__reps') }}

),

checked as (

    select
        ranked.*,
        case
            {{ sales_lake_key_rules('ranked.') }}
            -- an unknown channel is not rejected: staging maps it to 'other'
            when {{ hhmm_is_invalid('ranked.visit_window_start') }}
                or {{ hhmm_is_invalid('ranked.visit_window_end') }}
                then 'invalid_value'
            when ranked.opened_date > {{ as_of_date() }}
                or ranked.assigned_from > {{ as_of_date() }}
                then 'date_in_future'
            when ranked.latitude not between -90 and 90
                or ranked.longitude not between -180 and 180
                then 'coordinates_out_of_range'
            -- no maintainer is allowed (an unassigned customer: the house account)
            when (ranked.maintainer_rep_id is not null and maintainer_reps.rep_id is null)
                or (ranked.developer_rep_id is not null and developer_reps.rep_id is null)
                then 'unknown_rep'
        end as rejection_rule

    from ranked
    left join known_reps as maintainer_reps
        on ranked.maintainer_rep_id = maintainer_reps.rep_id
    left join known_reps as developer_reps
        on ranked.developer_rep_id = developer_reps.rep_id

)

select
    customer_id,
    name,
    channel,
    region,
    district,
    address,
    latitude,
    longitude,
    opened_date,
    developer_rep_id,
    maintainer_rep_id,
    is_group_purchase,
    is_key_account,
    credit_limit,
    payment_terms_days,
    visit_window_start,
    visit_window_end,
    contact_name,
    phone,
    assigned_from,
    load_id,
    source_row,
    loaded_at,
    rejection_rule

from checked
