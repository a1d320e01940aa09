-- One row per order line and credited rep, priced by the commission plan in force in the month
-- the line is booked (SPEC 9); the accelerator is added by fct_commission_lines.
--   Who is credited: a group-purchase account whose developer is another rep splits each line
--   between the developer (developer_share, 0.3) and the maintainer (the rest); in the month of
--   the account's first order the developer gets first_order_developer_share (1.0). When the
--   developer is the maintainer, that rep is credited in full ('sole'); every other account
--   credits its maintainer in full. A split account always has both lines, one of them with
--   share 0 when the plan gives a role nothing (the maintainer in the first-order month), so
--   the rule shows on the lines and a what-if can re-split them.
--   The first order: the month of the customer's first order line, when the account was opened
--   within the sales history (from the month of the first order line on record) or its opening
--   date is unknown; an account opened before has no first-order month in the data.
--   A return (negative line) is priced like any line of the month it is booked in, so it claws
--   back at the rate and shares in force then.
--   House: a line booked after the credited rep's left date (or before their hired date: the
--   customer files name today's reps, not who served an account before a hire) goes to the
--   house account of the rep's region ('HOUSE-<region>'), flagged with the reason; the rep the
--   rule named is kept in account_rep_id.
--   No plan: a line booked in a month no plan version covers (history older than the plan)
--   gets no commission: no plan version, no rate, commission 0 and no_commission_reason
--   'no_plan'; it is credited to the maintainer in full (there is no split rule without a plan).
--   Unassigned: an account without a maintainer credits the house account of the customer's
--   region, with house_reason 'unassigned' (account_rep_id empty).
--   At the time of the order: the developer, the maintainer and the customer's region are the
--   assignment in force on the order date (int_customer_assignments: a customer moved to
--   another rep mid-year credits its earlier lines to the rep it had then); the account's own
--   facts (group purchase, opening date, first order) are the current customer file's.
--   Money: the share, credited revenue and base commission of each credit line are priced by
--   the macro price_commission_credits (macros/commissions/price_commission_lines.sql), the
--   one source of the arithmetic and the rounding that the commission what-if runs too.
--   Incremental by month on DuckDB (macros/build/changed_months.sql): a build recomputes the
--   lines of the months whose order lines changed; the history start and each customer's
--   first order are read from every order line (models/pipeline/incremental.py adds the month
--   of a first order that a new line moves).

{%- set order_month = "cast(" ~ dbt.date_trunc('month', 'sales.order_date') ~ " as date)" %}
{%- set first_order_month = "cast(" ~ dbt.date_trunc('month', 'first_orders.first_order_date') ~ " as date)" %}

{{ config(
    materialized=by_month_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed_months('month_start') }}"
) }}

with

all_sales as {{ not_materialized() }} (

    select
        customer_id,
        order_date,
        is_return

    from {{ ref('stg_sales_lake__sales') }}

),

sales as {{ not_materialized() }} (

    select
        order_id,
        line_number,
        order_date,
        customer_id,
        sku,
        rep_id as order_rep_id,
        quantity,
        revenue,
        is_return

    from {{ ref('stg_sales_lake__sales') }}
    where {{ in_changed_months(month_of('order_date')) }}

),

history as (

    select cast({{ dbt.date_trunc('month', 'min(order_date)') }} as date) as history_start
    from all_sales

),

first_orders as (

    select
        customer_id,
        min(order_date) as first_order_date

    from all_sales
    where not is_return
    group by customer_id

),

customers as (

    select
        customers.customer_id,
        customers.customer_name,
        customers.is_group_purchase,
        case
            when customers.opened_date is null
                or customers.opened_date >= history.history_start
                then {{ first_order_month }}
        end as first_order_month

    from {{ ref('stg_sales_lake__customers') }} as customers
    cross join history
    left join first_orders
        on customers.customer_id = first_orders.customer_id

),

-- one row per customer and assignment period: who the account rule names, and where
accounts as (

    select
        customers.customer_id,
        customers.customer_name,
        assignments.valid_from,
        assignments.valid_to,
        assignments.region as customer_region,
        assignments.developer_rep_id,
        assignments.maintainer_rep_id,
        customers.is_group_purchase,
        customers.first_order_month,
        coalesce(
            customers.is_group_purchase
            and assignments.developer_rep_id is not null
            and assignments.maintainer_rep_id is not null
            and assignments.developer_rep_id <> assignments.maintainer_rep_id,
            false
        ) as is_split_account

    from customers
    inner join {{ ref('int_customer_assignments') }} as assignments
        on customers.customer_id = assignments.customer_id

),

products as (

    select
        sku,
        product_name,
        coalesce(price_band, 'unbanded') as price_band

    from {{ ref('stg_sales_lake__products') }}

),

plan as (

    select
        plan_version,
        valid_from,
        valid_to,
        price_band,
        rate,
        developer_share,
        first_order_developer_share,
        accelerator,
        quota_threshold

    from {{ ref('commission_plan') }}

),

priced as {{ not_materialized() }} (

    select
        sales.order_id,
        sales.line_number,
        sales.order_date,
        {{ order_month }} as month_start,
        sales.customer_id,
        accounts.customer_name,
        accounts.customer_region,
        sales.sku,
        products.product_name,
        products.price_band,
        sales.order_rep_id,
        sales.quantity,
        sales.revenue as order_revenue,
        sales.is_return,
        accounts.is_group_purchase,
        accounts.is_split_account,
        accounts.is_split_account and plan.plan_version is not null as is_split_line,
        case when plan.plan_version is null then 'no_plan' end as no_commission_reason,
        coalesce({{ order_month }} = accounts.first_order_month, false) as is_first_order_month,
        accounts.developer_rep_id,
        accounts.maintainer_rep_id,
        plan.plan_version,
        plan.rate,
        plan.developer_share as plan_developer_share,
        plan.first_order_developer_share as plan_first_order_developer_share,
        plan.accelerator as plan_accelerator,
        plan.quota_threshold as plan_quota_threshold

    from sales
    inner join accounts
        on sales.customer_id = accounts.customer_id
        and {{ in_force_on('accounts', 'sales.order_date') }}
    inner join products
        on sales.sku = products.sku
    left join plan
        on products.price_band = plan.price_band
        and {{ order_month }} >= plan.valid_from
        and (plan.valid_to is null or {{ order_month }} <= plan.valid_to)

),

-- One pass over the order lines: a split account's line meets both roles, any other line only
-- the maintainer's (a join with a two-row table rather than a union, which would read the
-- order lines twice).
roles as (

    select 'developer' as account_role
    union all
    select 'maintainer' as account_role

),

credits as (

    select
        priced.*,
        case
            when roles.account_role = 'developer' then 'developer'
            when priced.is_group_purchase and priced.developer_rep_id = priced.maintainer_rep_id
                then 'sole'
            else 'maintainer'
        end as account_role,
        case
            when roles.account_role = 'developer' then priced.developer_rep_id
            else priced.maintainer_rep_id
        end as account_rep_id

    from priced
    inner join roles
        on roles.account_role = 'maintainer'
        or (roles.account_role = 'developer' and priced.is_split_line)

),

-- share, credited revenue and base commission (macros/commissions/price_commission_lines.sql)
{{ price_commission_credits('credits', 'credited') }},

reps as (

    select
        rep_id,
        rep_name,
        region,
        hired_date,
        left_date,
        case when role = 'manager' then rep_id else manager_rep_id end as team_manager_rep_id

    from {{ ref('stg_sales_lake__reps') }}

),

housed as (

    select
        credited.*,
        case
            when credited.account_rep_id is null then 'unassigned'
            when credited.order_date > reps.left_date then 'rep_left'
            when credited.order_date < reps.hired_date then 'before_hire'
        end as house_reason,
        reps.rep_name as account_rep_name,
        coalesce(reps.region, credited.customer_region, 'unassigned') as rep_region,
        reps.team_manager_rep_id

    from credited
    left join reps
        on credited.account_rep_id = reps.rep_id

),

final as (

    select
        -- keys
        order_id,
        line_number,
        account_role,

        -- the order line
        month_start,
        order_date,
        customer_id,
        customer_name,
        customer_region,
        sku,
        product_name,
        price_band,
        order_rep_id,
        quantity,
        order_revenue,
        is_return,

        -- the account rule
        is_group_purchase,
        is_split_account,
        is_first_order_month,
        account_rep_id,

        -- who is credited (the house account outside the rep's employment)
        house_reason is not null as is_house,
        house_reason,
        case
            when house_reason is not null then {{ dbt.concat(["'HOUSE-'", "rep_region"]) }}
            else account_rep_id
        end as rep_id,
        case
            when house_reason is not null then {{ dbt.concat(["'House account '", "rep_region"]) }}
            else account_rep_name
        end as rep_name,
        rep_region as region,
        team_manager_rep_id as manager_rep_id,
        case when house_reason is not null then 'house' else account_role end as credit_role,

        -- the plan and the money
        no_commission_reason,
        plan_version,
        plan_developer_share,
        plan_first_order_developer_share,
        plan_accelerator,
        plan_quota_threshold,
        rate,
        share,
        credited_revenue,
        base_commission

    from housed

)

select * from final
