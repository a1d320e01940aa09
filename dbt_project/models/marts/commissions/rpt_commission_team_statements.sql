-- The team rollup of the commission statements: one row per month, region and manager (the
-- rep's manager; a manager's own statement counts in their own team; a house account in the
-- team of the manager of the rep who left). Sums of the statements, so of their lines.

with

statements as (

    select * from {{ ref('rpt_commission_statements') }}

),

reps as (

    select
        rep_id,
        rep_name

    from {{ ref('stg_sales_lake__reps') }}

),

teams as (

    select
        month_start,
        region,
        manager_rep_id,
        sum(case when is_house then 0 else 1 end) as reps,
        sum(case when is_house then 1 else 0 end) as house_accounts,
        cast(sum(credited_revenue) as decimal(18, 4)) as credited_revenue,
        cast(sum(credited_revenue_developer) as decimal(18, 4)) as credited_revenue_developer,
        cast(sum(credited_revenue_maintainer) as decimal(18, 4)) as credited_revenue_maintainer,
        cast(sum(credited_revenue_sole) as decimal(18, 4)) as credited_revenue_sole,
        cast(sum(credited_revenue_house) as decimal(18, 4)) as credited_revenue_house,
        cast(sum(returned_revenue) as decimal(18, 4)) as returned_revenue,
        cast(sum(accelerated_revenue) as decimal(18, 4)) as accelerated_revenue,
        cast(sum(base_commission) as decimal(18, 2)) as base_commission,
        cast(sum(accelerator_commission) as decimal(18, 2)) as accelerator_commission,
        cast(sum(clawback_commission) as decimal(18, 2)) as clawback_commission,
        cast(sum(commission_house) as decimal(18, 2)) as house_commission,
        cast(sum(total_commission) as decimal(18, 2)) as total_commission,
        cast(sum(total_commission - commission_house) as decimal(18, 2)) as payable_commission

    from statements
    group by month_start, region, manager_rep_id

),

final as (

    select
        teams.month_start,
        teams.region,
        teams.manager_rep_id,
        reps.rep_name as manager_name,
        teams.reps,
        teams.house_accounts,
        teams.credited_revenue,
        teams.credited_revenue_developer,
        teams.credited_revenue_maintainer,
        teams.credited_revenue_sole,
        teams.credited_revenue_house,
        teams.returned_revenue,
        teams.accelerated_revenue,
        teams.base_commission,
        teams.accelerator_commission,
        teams.clawback_commission,
        teams.house_commission,
        teams.payable_commission,
        teams.total_commission

    from teams
    left join reps
        on teams.manager_rep_id = reps.rep_id

)

select * from final
