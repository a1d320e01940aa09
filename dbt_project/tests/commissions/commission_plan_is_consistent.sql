-- The commission plan (seed commission_plan) is usable: each version starts on the first day
-- of a month and ends on the last day of a month (or is open), versions do not overlap, every
-- version prices every band, maintainer_share = 1 - developer_share, and a version's shares,
-- accelerator and quota rule are the same on all its rows. Returns the faults.

{%- set month_of_from = "cast(" ~ dbt.date_trunc('month', 'valid_from') ~ " as date)" %}
{%- set day_after_to = "cast(" ~ dbt.dateadd('day', 1, 'valid_to') ~ " as date)" %}

with

plan as (

    select * from {{ ref('commission_plan') }}

),

versions as (

    select
        plan_version,
        min(valid_from) as valid_from,
        max(valid_to) as valid_to,
        count(distinct valid_from) as valid_froms,
        count(distinct coalesce(valid_to, cast('9999-12-31' as date))) as valid_tos,
        count(distinct price_band) as bands,
        count(distinct developer_share) as developer_shares,
        count(distinct first_order_developer_share) as first_order_developer_shares,
        count(distinct accelerator) as accelerators,
        count(distinct quota_threshold) as quota_thresholds

    from plan
    group by plan_version

),

faults as (

    select plan_version, 'valid_from is not the first day of a month' as fault
    from plan
    where valid_from <> {{ month_of_from }}

    union all

    select plan_version, 'valid_to is not the last day of a month' as fault
    from plan
    where valid_to is not null
        and cast({{ dbt.date_trunc('month', day_after_to) }} as date) <> {{ day_after_to }}

    union all

    select plan_version, 'valid_to is before valid_from' as fault
    from plan
    where valid_to < valid_from

    union all

    select plan_version, 'maintainer_share is not 1 - developer_share' as fault
    from plan
    where developer_share + maintainer_share <> 1

    union all

    select plan_version, 'a version must price the bands high, mid, low and unbanded' as fault
    from versions
    where bands <> 4

    union all

    select
        plan_version,
        'dates, shares, accelerator and quota rule must be the same on all rows of a version'
            as fault
    from versions
    where valid_froms > 1 or valid_tos > 1 or developer_shares > 1
        or first_order_developer_shares > 1 or accelerators > 1 or quota_thresholds > 1

    union all

    select
        earlier.plan_version,
        {{ dbt.concat(["'overlaps version '", "later.plan_version"]) }} as fault
    from versions as earlier
    inner join versions as later
        on earlier.plan_version < later.plan_version
        and earlier.valid_from <= coalesce(later.valid_to, cast('9999-12-31' as date))
        and later.valid_from <= coalesce(earlier.valid_to, cast('9999-12-31' as date))

)

select * from faults
