-- Each commission statement equals the sum of its lines exactly (total, base, accelerator,
-- clawbacks, credited revenue), every rep-month with lines has a statement, and each team
-- statement equals the sum of its statements. Returns the statements that do not.

with

lines as (

    select
        rep_id,
        month_start,
        sum(credited_revenue) as credited_revenue,
        sum(commission_amount) as total_commission,
        sum(case when is_return then 0 else base_commission end) as base_commission,
        sum(case when is_return then 0 else accelerator_commission end) as accelerator_commission,
        sum(case when is_return then commission_amount else 0 end) as clawback_commission

    from {{ ref('fct_commission_lines') }}
    group by rep_id, month_start

),

statements as (

    select * from {{ ref('rpt_commission_statements') }}

),

statement_faults as (

    select
        coalesce(lines.rep_id, statements.rep_id) as rep_id,
        coalesce(lines.month_start, statements.month_start) as month_start,
        'statement differs from its lines' as fault

    from lines
    full outer join statements
        on lines.rep_id = statements.rep_id
        and lines.month_start = statements.month_start
    where lines.rep_id is null
        or statements.rep_id is null
        or lines.credited_revenue <> statements.credited_revenue
        or lines.total_commission <> statements.total_commission
        or lines.base_commission <> statements.base_commission
        or lines.accelerator_commission <> statements.accelerator_commission
        or lines.clawback_commission <> statements.clawback_commission
        or statements.total_commission <> statements.base_commission
        + statements.accelerator_commission + statements.clawback_commission
        or statements.total_commission <> statements.commission_developer
        + statements.commission_maintainer + statements.commission_sole
        + statements.commission_house

),

by_month as (

    select
        month_start,
        sum(total_commission) as total_commission,
        sum(credited_revenue) as credited_revenue

    from statements
    group by month_start

),

teams as (

    select
        month_start,
        sum(total_commission) as total_commission,
        sum(credited_revenue) as credited_revenue

    from {{ ref('rpt_commission_team_statements') }}
    group by month_start

),

team_faults as (

    select
        cast(null as {{ dbt.type_string() }}) as rep_id,
        coalesce(by_month.month_start, teams.month_start) as month_start,
        'team statements differ from the statements' as fault

    from by_month
    full outer join teams
        on by_month.month_start = teams.month_start
    where by_month.month_start is null
        or teams.month_start is null
        or by_month.total_commission <> teams.total_commission
        or by_month.credited_revenue <> teams.credited_revenue

)

select * from statement_faults
union all
select * from team_faults
