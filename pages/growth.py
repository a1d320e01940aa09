"""Growth page: who grows and who declines. Top growers and decliners, the growth contribution
by region and channel, the lifecycle stages month by month and the customers at risk. Rows open
the customer's card."""

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from models.i18n import MONEY_GRID
from models.i18n.frames import with_labels
from models.queries import attribution, growth
from ui import kit
from ui.i18n import label, lang, money, money_short, month_label, percent, t

st.title(t("Growth"))
user = kit.require_user()
wh = kit.warehouse()
filters = kit.current_filters(user)

STAGE_COLOURS = {"prospect": "#b8c2cc", "new": "#9cc3ea", "growing": "#2e8b57",
                 "mature": "#1f5fa8", "declining": "#e67e22", "churned": "#c0392b"}
# Columns of codes the grids show by their labels (the frames keep the codes for downloads).
CODE_KINDS = {"channel": "channel", "lifecycle_stage": "lifecycle_stage"}
DIMENSION_TITLES = {"region": t("Region"), "channel": t("Channel")}


def money_grid(title: str):
    """A money column of a grid: -¥4.31."""
    return st.column_config.NumberColumn(title, **MONEY_GRID)


MOVER_COLUMNS = {  # the most telling first: the tables sit side by side
    "customer_name": t("Customer"),
    "trailing_3_change": money_grid(t("Change")),
    "trailing_3_growth": kit.pct_column(t("Growth")),
    "tier": t("Tier"),
    "trailing_3_revenue": money_grid(t("Last 3 months")),
    "previous_3_revenue": money_grid(t("3 months before")),
    "growth_contribution": kit.pct_column(t("Part of company growth")),
    "customer_id": t("Customer code"),
    "region": t("Region"),
    "maintainer_rep_name": t("Rep"),
}


with kit.spinner(t("Loading growth ...")):
    frame = kit.cached(growth.customer_growth, user.scope, filters)
    stages = kit.cached(growth.lifecycle_by_month, user.scope, filters)
    risk = kit.cached(growth.at_risk, user.scope, filters, lang())

month = month_label(filters.month)
st.caption(t("{filters} · you see {scope} · growth = revenue of the 3 months to the end of "
             "{month} against the 3 months before", filters=kit.md(filters.describe(lang())),
             scope=kit.md(user.scope.describe(lang())), month=month))
if frame.height == 0:
    kit.empty()
    st.stop()

# --- headline --------------------------------------------------------------------------------

before = float(frame["previous_3_revenue"].sum())
after = float(frame["trailing_3_revenue"].sum())
cols = st.columns(4)
cols[0].metric(t("Revenue, last 3 months"), money_short(after),
               delta=money_short(after - before),
               help=t("Exactly {amount}; the 3 months before: {before}.", amount=money(after, 0),
                      before=money(before, 0)))
cols[1].metric(t("Growth"), percent(after / before - 1) if before else "–",
               help=t("Selected customers, last 3 months against the 3 before."))
company = frame["company_trailing_3_growth"].drop_nulls()
cols[2].metric(t("Company growth"), percent(company[0]) if company.len() else "–")
cols[3].metric(t("Growing faster than the company"),
               t("{n} of {total}",
                 n=f"{int(frame['is_above_company_rate'].fill_null(False).sum()):,}",
                 total=f"{frame.height:,}"))

# --- top growers and decliners ---------------------------------------------------------------

growers, decliners = growth.top_movers(frame, n=10)
left, right = st.columns(2)
shown = list(MOVER_COLUMNS)
with left:
    st.subheader(t("Top growers"))
    if growers.height == 0:
        kit.empty(t("No customer grew."))
    else:
        kit.customer_table(growers.select(shown), key="growth_growers",
                           column_config=MOVER_COLUMNS)
        kit.download(growers.select(shown), t("growers_{month}", month=f"{filters.month:%Y-%m}"),
                     key="dl_growers")
with right:
    st.subheader(t("Top decliners"))
    if decliners.height == 0:
        kit.empty(t("No customer declined."))
    else:
        kit.customer_table(decliners.select(shown), key="growth_decliners",
                           column_config=MOVER_COLUMNS)
        kit.download(decliners.select(shown),
                     t("decliners_{month}", month=f"{filters.month:%Y-%m}"),
                     key="dl_decliners")

# --- growth contribution ---------------------------------------------------------------------

st.subheader(t("Growth contribution"))
dimension = st.radio(t("Split by"), list(growth.DIMENSIONS), horizontal=True,
                     format_func=DIMENSION_TITLES.get, key="growth_dimension")
title = DIMENSION_TITLES[dimension]
if dimension == "region":
    # a customer that moved region counts, as booked, for the region of each order
    view = kit.attribution_view("growth_region_view")
    parts = kit.cached(attribution.region_growth, user.scope, filters, view)
    before = float(parts["previous_3_revenue"].sum())
    after = float(parts["trailing_3_revenue"].sum())
    st.caption(t("Shown {view}", view=kit.md(attribution.describe(view, lang()))))
else:
    parts = growth.contribution_by(frame, dimension)
names = [kit.plot_text(label(dimension, v) if dimension == "channel"
                        else str(v).replace("_", " ")) for v in parts[dimension].to_list()]
waterfall = go.Figure(go.Waterfall(
    x=[t("3 months before"), *names, t("Last 3 months")],
    measure=["absolute", *["relative"] * parts.height, "total"],
    y=[before, *parts["change"].to_list(), after],
    text=[money(before, 0), *[money(v, 0) for v in parts["change"].to_list()],
          money(after, 0)],
    textposition="outside",
    increasing={"marker": {"color": "#2e8b57"}}, decreasing={"marker": {"color": "#c0392b"}},
    totals={"marker": {"color": "#1f5fa8"}},
    hovertemplate="%{x}: ¥%{y:,.0f}<extra></extra>"))
waterfall.update_layout(
    title=t("Revenue change by {dimension}: 3 months before to the last 3 months",
            dimension=title.lower()),
    xaxis_title=title, yaxis_title=t("Revenue (¥)"), yaxis_tickformat=",.0f",
    yaxis_tickprefix="¥", height=420, showlegend=False, margin={"t": 60, "b": 40})
kit.chart(waterfall, key="growth_waterfall")
kit.grid(with_labels(parts, CODE_KINDS, lang()), hide_index=True, column_config={
    dimension: title,
    "previous_3_revenue": money_grid(t("3 months before")),
    "trailing_3_revenue": money_grid(t("Last 3 months")),
    "change": money_grid(t("Change")),
    "customers": t("Customers"),
    "share_of_change": kit.pct_column(t("Share of the change")),
}, key="growth_contribution_table")
kit.download(parts, t("growth_by_{dimension}_{month}", dimension=dimension,
                      month=f"{filters.month:%Y-%m}"), key="dl_contribution")

# --- lifecycle over time ---------------------------------------------------------------------

st.subheader(t("Lifecycle stages over time"))
if stages.height == 0:
    kit.empty(t("No lifecycle months for these filters."))
else:
    stage_fig = go.Figure()
    for stage in growth.STAGES:
        part = stages.filter(pl.col("lifecycle_stage") == stage).sort("month_start")
        stage_fig.add_trace(go.Bar(
            x=[month_label(m) for m in part["month_start"].to_list()],
            y=part["customers"].to_list(), name=label("lifecycle_stage", stage),
            marker_color=STAGE_COLOURS[stage],
            hovertemplate=t("%{{x}}: %{{y}} {stage}<extra></extra>",
                            stage=label("lifecycle_stage", stage))))
    stage_fig.update_layout(
        barmode="stack", title=t("Customers by lifecycle stage, month by month"),
        xaxis_title=t("Month"), yaxis_title=t("Customers (count)"),
        legend_title_text=t("Stage"), height=400, margin={"t": 60, "b": 40})
    kit.chart(stage_fig, key="growth_lifecycle")
    wide = (stages.pivot(on="lifecycle_stage", index="month_start", values="customers")
            .sort("month_start", descending=True))
    kit.download(wide, t("lifecycle_by_month_{month}", month=f"{filters.month:%Y-%m}"),
                 key="dl_lifecycle")

# --- at risk ---------------------------------------------------------------------------------

st.subheader(t("At risk"))
st.caption(t("Customers declining, past their usual gap between orders, or dropped a tier in "
             "{month}; not yet churned. Biggest tier first.", month=month))
if risk.height == 0:
    kit.empty(t("No customer at risk for these filters."))
else:
    risk_table = risk.select("customer_id", "customer_name", "tier", "reasons",
                             "lifecycle_stage", "days_since_last_order", "median_order_gap_days",
                             "previous_3_revenue", "trailing_3_revenue", "trailing_3_growth",
                             "last_order_date", "maintainer_rep_name")
    kit.customer_table(with_labels(risk_table, CODE_KINDS, lang()), key="growth_at_risk",
                       height=360, column_config={
        "customer_id": t("Customer code"),
        "customer_name": t("Customer"),
        "tier": t("Tier"),
        "reasons": t("Why"),
        "lifecycle_stage": t("Stage"),
        "days_since_last_order": t("Days since last order"),
        "median_order_gap_days": st.column_config.NumberColumn(t("Usual gap (days)"),
                                                               format="%.0f"),
        "previous_3_revenue": money_grid(t("3 months before")),
        "trailing_3_revenue": money_grid(t("Last 3 months")),
        "trailing_3_growth": kit.pct_column(t("Growth")),
        "last_order_date": st.column_config.DateColumn(t("Last order")),
        "maintainer_rep_name": t("Rep"),
    })
    kit.download(risk_table, t("at_risk_{month}", month=f"{filters.month:%Y-%m}"),
                 key="dl_at_risk")
