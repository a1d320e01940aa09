"""The Scoring page's figures (SPEC 3 and 6): the Pareto curve of the selected customers with the
tier boundaries, the tier table, tier migration between two months, the priority matrix and the
potential checklist.

Every query reads marts through ``filters.read_filtered`` (the user's scope applies there). Tiers,
shares, cuts and quadrants come from the marts (``fct_customer_tiers``, ``fct_customer_scores``),
which take them from the dbt vars; nothing here restates a threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from models.core.scoping import Scope
from models.core.warehouse import Warehouse
from models.i18n import translate
from models.queries.filters import TIERS, Filters, read_filtered

NOT_A_CUSTOMER = "none"  # migration: no tier that month (not yet a customer)

# The seven yes/no criteria of the potential checklist (fct_customer_scores columns), in the
# order of SPEC 6, with the label a manager reads. Each has a ``<column>_source`` column.
def checklist_labels(lang: str = "en") -> dict[str, str]:
    """The seven criteria's names in ``lang``, by column (the one place they are worded; the
    customer card uses them too)."""
    return {
        "own_growth_good": translate(lang, "Own growth good"),
        "scale_above_region_median": translate(lang, "Scale above region median"),
        "has_credit_headroom": translate(lang, "Credit headroom"),
        "has_cross_sell_room": translate(lang, "Cross-sell room"),
        "fits_core_band": translate(lang, "Buys the core price band"),
        "competitive_position": translate(lang, "Competitive position"),
        "relationship_good": translate(lang, "Good relationship"),
    }


CHECKLIST: tuple[tuple[str, str], ...] = tuple(checklist_labels("en").items())

QUADRANTS: tuple[tuple[int, str, str], ...] = (
    (1, "quick_win", "Quick win"),
    (2, "develop", "Develop"),
    (3, "maintain", "Maintain at low cost"),
    (4, "reduce", "Reduce or drop"),
)


# --- tiers and the Pareto curve --------------------------------------------------------------

def tiers(wh: Warehouse, scope: Scope, filters: Filters) -> pl.DataFrame:
    """The selected customers' tiers in the filters' month, ranked within the selection.

    One row per customer with a tier that month: the mart's tier, rank and share (within the
    tier scope of the build), and ``selection_rank`` / ``cum_share``: the position by average
    monthly revenue among the selected customers and the share of their total held by this
    customer and those above it (the Pareto curve). Only positive averages add to the total, as
    in the mart.
    """
    sql = f"""
        with selected as (
            select
                t.customer_id,
                d.customer_name,
                d.region,
                d.channel,
                d.maintainer_rep_id,
                d.maintainer_rep_name,
                d.lifecycle_stage,
                t.tier,
                t.previous_tier,
                t.tier_move,
                t.is_key_account,
                cast(t.avg_monthly_revenue as double) as avg_monthly_revenue,
                t.tier_rank,
                t.cum_share_before
            from fct_customer_tiers as t
            inner join dim_customers as d on d.customer_id = t.customer_id
            where t.month_start = $f_month
              and t.customer_id in ({filters.customer_sql()})
        ),
        ranked as (
            select
                *,
                row_number() over (order by avg_monthly_revenue desc, customer_id)
                    as selection_rank,
                greatest(avg_monthly_revenue, 0) as positive_revenue
            from selected
        )
        select
            * exclude (positive_revenue),
            sum(positive_revenue) over (
                order by selection_rank rows between unbounded preceding and current row
            ) / nullif(sum(positive_revenue) over (), 0) as cum_share
        from ranked
        order by selection_rank
    """
    return read_filtered(wh, sql, scope, filters)


@dataclass(frozen=True)
class TierBoundary:
    """Where the customers of ``upper`` and the tiers above it end on the Pareto curve."""

    upper: str           # S, A or B: the boundary between this tier and the next one down
    lower: str
    customers: int       # customers ranked up to the boundary (the x of the line)
    share: float         # their share of the selection's revenue (the curve's y there)

    @property
    def label(self) -> str:
        return f"{self.upper} | {self.lower}"


@dataclass(frozen=True)
class Pareto:
    curve: pl.DataFrame          # selection_rank, cum_share, customer_id, customer_name, tier, ...
    counts: pl.DataFrame         # tier, customers, avg_monthly_revenue, revenue_share (S, A, B, C)
    boundaries: list[TierBoundary]
    total_avg_monthly_revenue: float

    @property
    def customers(self) -> int:
        return self.curve.height

    def count(self, tier: str) -> int:
        row = self.counts.filter(pl.col("tier") == tier)
        return int(row["customers"][0]) if row.height else 0


def pareto(frame: pl.DataFrame) -> Pareto:
    """The Pareto summary of ``tiers()``: counts per tier and the tier boundaries on the curve.

    A boundary is placed after the last customer (by selection rank) of the tier or the tiers
    above it; flagged key accounts, S whatever their revenue, do not place a boundary. A
    boundary is drawn only when some customer is ranked below it.
    """
    total = float(frame["avg_monthly_revenue"].clip(lower_bound=0).sum()) if frame.height else 0.0
    counts = (
        pl.DataFrame({"tier": list(TIERS)})
        .join(
            frame.group_by("tier").agg(
                pl.len().alias("customers"),
                pl.col("avg_monthly_revenue").sum().alias("avg_monthly_revenue"),
            ),
            on="tier", how="left",
        )
        .with_columns(
            pl.col("customers").fill_null(0).cast(pl.Int64),
            pl.col("avg_monthly_revenue").fill_null(0.0),
        )
        .with_columns(
            (pl.col("avg_monthly_revenue") / total if total else pl.lit(None, pl.Float64))
            .alias("revenue_share")
        )
    )
    boundaries: list[TierBoundary] = []
    ranked = frame.filter(~pl.col("is_key_account"))
    for i, upper in enumerate(TIERS[:-1]):
        group = ranked.filter(pl.col("tier").is_in(TIERS[: i + 1]))
        if group.height == 0:
            continue
        last = int(group["selection_rank"].max())
        if last >= frame.height:
            continue
        if upper == "S" and ranked.filter(pl.col("tier") == "S").height == 0:
            continue
        share = frame.filter(pl.col("selection_rank") == last)["cum_share"][0]
        lower = TIERS[i + 1]
        boundaries.append(TierBoundary(upper=upper, lower=lower, customers=last,
                                       share=float(share) if share is not None else 0.0))
    # The same position can end two groups (no A customers: S | A and A | B coincide).
    unique: dict[int, TierBoundary] = {}
    for b in boundaries:
        unique[b.customers] = b
    curve = frame.select("selection_rank", "cum_share", "customer_id", "customer_name", "tier",
                         "avg_monthly_revenue")
    return Pareto(curve=curve, counts=counts, boundaries=sorted(unique.values(),
                                                                key=lambda b: b.customers),
                  total_avg_monthly_revenue=total)


# --- tier migration --------------------------------------------------------------------------

def tier_migration(wh: Warehouse, scope: Scope, filters: Filters, from_month: date,
                   to_month: date) -> pl.DataFrame:
    """Customers by tier in ``from_month`` and in ``to_month``: from_tier, to_tier, customers.

    'none' stands for no tier that month (not yet a customer, or no longer one). Customers
    without a tier in either month are left out.
    """
    sql = f"""
        with chosen as (
            select customer_id from dim_customers
            where customer_id in ({filters.customer_sql()})
        ),
        before as (
            select customer_id, tier from fct_customer_tiers where month_start = $from_month
        ),
        after as (
            select customer_id, tier from fct_customer_tiers where month_start = $to_month
        )
        select
            coalesce(b.tier, '{NOT_A_CUSTOMER}') as from_tier,
            coalesce(a.tier, '{NOT_A_CUSTOMER}') as to_tier,
            count(*) as customers
        from chosen as c
        left join before as b on b.customer_id = c.customer_id
        left join after as a on a.customer_id = c.customer_id
        where b.tier is not null or a.tier is not null
        group by all
    """
    return read_filtered(wh, sql, scope, filters, {"from_month": from_month.replace(day=1),
                                                   "to_month": to_month.replace(day=1)})


def migration_matrix(moves: pl.DataFrame) -> pl.DataFrame:
    """``tier_migration()`` as a full matrix: one row per from-tier (S, A, B, C, none), a column
    per to-tier, counts (0 where nobody moved)."""
    levels = [*TIERS, NOT_A_CUSTOMER]
    grid = pl.DataFrame({"from_tier": levels}).join(
        pl.DataFrame({"to_tier": levels}), how="cross")
    full = grid.join(moves.with_columns(pl.col("customers").cast(pl.Int64)),
                     on=["from_tier", "to_tier"], how="left").with_columns(
        pl.col("customers").fill_null(0))
    wide = full.pivot(on="to_tier", index="from_tier", values="customers",
                      aggregate_function="sum")
    return wide.select("from_tier", *levels)


def migration_summary(moves: pl.DataFrame) -> dict[str, int]:
    """Customers that moved up, down, stayed, joined (no tier before) and left (none after)."""
    order = {t: i for i, t in enumerate(reversed(TIERS))}  # C 0 .. S 3
    out = {"up": 0, "down": 0, "same": 0, "new": 0, "gone": 0}
    for from_tier, to_tier, n in moves.select("from_tier", "to_tier", "customers").iter_rows():
        if from_tier == NOT_A_CUSTOMER:
            out["new"] += n
        elif to_tier == NOT_A_CUSTOMER:
            out["gone"] += n
        elif order[to_tier] > order[from_tier]:
            out["up"] += n
        elif order[to_tier] < order[from_tier]:
            out["down"] += n
        else:
            out["same"] += n
    return out


# --- priority matrix and potential checklist -------------------------------------------------

def scores(wh: Warehouse, scope: Scope, filters: Filters) -> pl.DataFrame:
    """The selected customers' evaluation, service need, priority and potential checklist (as of
    the build's as-of month: ``fct_customer_scores`` has one row per customer)."""
    checklist = ",\n".join(f"s.{c}, s.{c}_source" for c, _ in CHECKLIST)
    sql = f"""
        select
            s.customer_id,
            d.customer_name,
            d.region,
            d.channel,
            d.maintainer_rep_name,
            s.month_start,
            s.tier,
            s.lifecycle_stage,
            cast(s.evaluation_score as double) as evaluation_score,
            cast(s.service_need_hours as double) as service_need_hours,
            cast(s.value_cut as double) as value_cut,
            cast(s.need_cut as double) as need_cut,
            s.is_high_value,
            s.is_high_need,
            s.priority,
            s.quadrant,
            cast(s.avg_monthly_revenue as double) as avg_monthly_revenue,
            cast(s.revenue_12m as double) as revenue_12m,
            s.is_potential_candidate,
            s.potential_score,
            {checklist}
        from fct_customer_scores as s
        inner join dim_customers as d on d.customer_id = s.customer_id
        where s.customer_id in ({filters.customer_sql()})
        order by s.priority, s.evaluation_score desc, s.customer_id
    """
    return read_filtered(wh, sql, scope, filters)


@dataclass(frozen=True)
class Cuts:
    value_cut: float
    need_cut: float | None  # None while no visits are loaded (no service-need axis)


def cuts(frame: pl.DataFrame) -> Cuts | None:
    """The quadrant cuts of the build (the same on every row of fct_customer_scores)."""
    if frame.height == 0:
        return None
    need_cut = frame["need_cut"][0]
    return Cuts(value_cut=float(frame["value_cut"][0]),
                need_cut=None if need_cut is None else float(need_cut))


def quadrant_counts(frame: pl.DataFrame) -> pl.DataFrame:
    """priority, quadrant, label, customers: the four quadrants in priority order."""
    base = pl.DataFrame({"priority": [q[0] for q in QUADRANTS],
                         "quadrant": [q[1] for q in QUADRANTS],
                         "label": [q[2] for q in QUADRANTS]})
    counts = frame.group_by("quadrant").agg(pl.len().alias("customers"))
    return base.join(counts, on="quadrant", how="left").with_columns(
        pl.col("customers").fill_null(0).cast(pl.Int64))


def potential_checklist(frame: pl.DataFrame, lang: str = "en") -> pl.DataFrame:
    """The checklist rows of ``scores()``: prospects and C customers, best potential first, with
    ``assessed``: the criteria an assessment answered instead of the data (named in ``lang``)."""
    names = checklist_labels(lang)
    candidates = frame.filter(pl.col("is_potential_candidate"))
    assessed = pl.concat_str(
        [pl.when(pl.col(f"{c}_source") == "assessment").then(pl.lit(names[c]))
         for c, _ in CHECKLIST],
        separator=", ", ignore_nulls=True)
    return (
        candidates.with_columns(assessed.alias("assessed"))
        .select("customer_id", "customer_name", "tier", "lifecycle_stage", "potential_score",
                *[c for c, _ in CHECKLIST], "assessed", "avg_monthly_revenue",
                "maintainer_rep_name")
        .sort(["potential_score", "avg_monthly_revenue", "customer_id"],
              descending=[True, True, False])
    )
