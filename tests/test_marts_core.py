"""Believable results of the core customer marts on the built scale-0.05 demo warehouse.

The rules themselves are pinned by dbt unit tests (the YAML next to each model); these tests
check the marts hang together on realistic data: spine totals match the order lines, every
customer-month has a tier, tiers look like a Pareto and move, shares add up.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from models.core.warehouse import Warehouse


@pytest.fixture(scope="module")
def wh(built_home: Path) -> Warehouse:
    warehouse = Warehouse(built_home)
    yield warehouse
    warehouse.close()


@pytest.fixture(scope="module")
def latest_full_month(wh: Warehouse) -> date:
    month = wh.scalar(
        "select max(month_start) from intermediate.int_months where is_complete_month")
    assert month is not None
    return month


def test_spine_revenue_matches_order_lines_to_the_cent(wh):
    # per customer-month: the spine holds the line revenue summed, unrounded
    mismatches = wh.query(
        """
        with lines as (
            select customer_id, date_trunc('month', order_date) as month_start,
                   sum(revenue) as revenue, count(*) as line_count
            from staging.stg_sales_lake__sales
            group by all
        )
        select lines.customer_id, lines.month_start, lines.revenue, spine.revenue as spine_revenue
        from lines
        left join intermediate.int_customer_months as spine
            on spine.customer_id = lines.customer_id and spine.month_start = lines.month_start
        where spine.revenue is distinct from lines.revenue
            or spine.order_line_count <> lines.line_count
        """
    )
    assert mismatches.is_empty(), mismatches
    totals = wh.query(
        """
        select
            (select sum(revenue) from staging.stg_sales_lake__sales) as line_total,
            (select sum(revenue) from intermediate.int_customer_months) as spine_total,
            (select sum(revenue) from fct_customer_contribution where grain = 'quarter')
                as quarter_total,
            (select sum(revenue) from fct_customer_contribution where grain = 'year')
                as year_total
        """
    ).row(0, named=True)
    assert totals["line_total"] > 1_000_000
    # nothing is rounded before the sum: every total is the order lines' total exactly
    assert totals["spine_total"] == totals["line_total"]
    assert totals["quarter_total"] == totals["line_total"]
    assert totals["year_total"] == totals["line_total"]


def test_spine_is_zero_filled_and_contiguous(wh):
    gaps = wh.query(
        """
        select customer_id, count(*) as months, max(months_since_first) as last_index,
               min(months_since_first) as first_index
        from intermediate.int_customer_months
        group by customer_id
        having count(*) <> max(months_since_first) + 1 or min(months_since_first) <> 0
        """
    )
    assert gaps.is_empty(), gaps
    # every customer runs to the as-of month
    short = wh.scalar(
        "select count(*) from (select customer_id, max(month_start) as last_month "
        "from intermediate.int_customer_months group by customer_id) "
        "where last_month <> (select max(month_start) from intermediate.int_months)"
    )
    assert short == 0
    assert wh.scalar(
        "select count(*) from intermediate.int_customer_months where not has_order") > 0


def test_every_customer_month_has_a_tier(wh):
    counts = wh.query(
        """
        select
            (select count(*) from intermediate.int_customer_months) as spine_rows,
            (select count(*) from fct_customer_tiers
             where tier in ('S', 'A', 'B', 'C')) as tiered,
            (select count(*) from intermediate.int_customer_months as spine
             anti join fct_customer_tiers as tiers using (customer_id, month_start)) as missing
        """
    ).row(0, named=True)
    assert counts["spine_rows"] > 1000
    assert counts["tiered"] == counts["spine_rows"]
    assert counts["missing"] == 0


def test_s_and_a_are_few_customers_but_most_revenue(wh, latest_full_month):
    row = wh.query(
        """
        select
            avg(case when tier in ('S', 'A') then 1.0 else 0.0 end) as customer_share,
            sum(case when tier in ('S', 'A') then avg_monthly_revenue else 0 end)
                / sum(avg_monthly_revenue) as revenue_share,
            count(distinct tier) as tiers
        from fct_customer_tiers
        where month_start = $month
        """,
        {"month": latest_full_month},
    ).row(0, named=True)
    assert row["tiers"] == 4
    assert row["customer_share"] < 0.5
    assert row["revenue_share"] > 0.75


def test_pareto_tiers_follow_the_cumulative_share(wh):
    # non-key customers with a positive average: the tier is the one its share before says
    # (away from the boundaries, where float rounding of cum_share_before could mislead)
    wrong = wh.query(
        """
        select customer_id, month_start, cum_share_before, tier
        from fct_customer_tiers
        where not is_key_account and avg_monthly_revenue > 0 and tier_method = 'pareto'
            and tier <> case
                when cum_share_before < 0.50 then 'S'
                when cum_share_before < 0.80 then 'A'
                when cum_share_before < 0.95 then 'B'
                else 'C'
            end
            and least(abs(cum_share_before - 0.5), abs(cum_share_before - 0.8),
                      abs(cum_share_before - 0.95)) > 1e-9
        """
    )
    assert wrong.is_empty(), wrong
    key_not_s = wh.scalar(
        "select count(*) from fct_customer_tiers where is_key_account and tier <> 'S'"
    )
    assert key_not_s == 0


def test_tiers_migrate_between_months(wh):
    moves = wh.query("select tier_move, count(*) as n from fct_customer_tiers group by 1")
    by_move = dict(zip(moves["tier_move"], moves["n"]))
    assert {"new", "up", "down", "same"} <= set(by_move)
    assert by_move["same"] > by_move["up"] + by_move["down"]  # tiers are mostly stable
    distributions = wh.query(
        """
        select month_start,
               count(*) filter (where tier = 'S') as s, count(*) filter (where tier = 'A') as a,
               count(*) filter (where tier = 'B') as b, count(*) filter (where tier = 'C') as c
        from fct_customer_tiers
        group by month_start
        """
    )
    assert distributions.select(["s", "a", "b", "c"]).unique().height > 1
    # the first month of every customer is 'new', and only that one
    firsts = wh.scalar(
        """
        select count(*) from fct_customer_tiers as tiers
        join intermediate.int_customer_months as spine using (customer_id, month_start)
        where (spine.months_since_first = 0) <> (tiers.tier_move = 'new')
        """
    )
    assert firsts == 0


def test_contribution_grains_add_up(wh):
    totals = wh.query(
        "select grain, sum(revenue) as revenue, sum(gross_profit) as gross_profit "
        "from fct_customer_contribution group by grain"
    )
    assert set(totals["grain"]) == {"month", "quarter", "year"}
    assert totals["revenue"].n_unique() == 1
    assert totals["gross_profit"].n_unique() == 1
    spine = wh.scalar("select sum(revenue) from intermediate.int_customer_months")
    assert totals["revenue"][0] == spine
    bad_shares = wh.query(
        """
        select grain, period_start, sum(revenue_share) as total
        from fct_customer_contribution
        group by 1, 2
        having abs(sum(revenue_share) - 1) > 1e-6
        """
    )
    assert bad_shares.is_empty(), bad_shares
    cost = wh.scalar(
        "select count(*) from fct_customer_contribution "
        "where cost_to_serve <> onsite_visits * 120 + phone_visits * 10 "
        "or net_contribution <> gross_profit - cost_to_serve"
    )
    assert cost == 0
    # a peer index averages 1 within every region, channel and period
    peers = wh.scalar(
        """
        select max(abs(avg_index - 1)) from (
            select avg(horizontal_index) as avg_index
            from fct_customer_contribution
            where horizontal_index is not null
            group by grain, period_start, region, channel
        )
        """
    )
    assert peers < 1e-9


def test_growth_contribution_sums_to_one_per_month(wh):
    months = wh.query(
        """
        select month_start, sum(growth_contribution) as total, count(*) as customers
        from fct_customer_growth
        where growth_contribution is not null
        group by month_start
        """
    )
    assert months.height >= 12
    assert (months["total"] - 1).abs().max() < 1e-9
    # the company rate is one figure per month, and customers are found on both sides of it
    sides = wh.query(
        """
        select count(distinct company_trailing_3_growth) as rates,
               count(distinct month_start) as months,
               count(*) filter (where is_above_company_rate) as above,
               count(*) filter (where not is_above_company_rate) as below
        from fct_customer_growth
        where company_trailing_3_growth is not null
        """
    ).row(0, named=True)
    assert sides["rates"] <= sides["months"]
    assert sides["above"] > 0 and sides["below"] > 0
