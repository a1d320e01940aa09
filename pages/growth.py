"""Growth page: who grows and who declines. Top growers and decliners, the growth contribution
by region and channel, the lifecycle stages month by month and the customers at risk. Rows open
the customer's card."""

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from models.queries import attribution, growth
from ui import kit

st.title("Growth")
user = kit.require_user()
wh = kit.warehouse()
filters = kit.current_filters(user)

STAGE_COLOURS = {"prospect": "#b8c2cc", "new": "#9cc3ea", "growing": "#2e8b57",
                 "mature": "#1f5fa8", "declining": "#e67e22", "churned": "#c0392b"}
MOVER_COLUMNS = {  # the most telling first: the tables sit side by side
    "customer_name": "Customer",
    "trailing_3_change": kit.money_column("Change"),
    "trailing_3_growth": kit.pct_column("Growth"),
    "tier": "Tier",
    "trailing_3_revenue": kit.money_column("Last 3 months"),
    "previous_3_revenue": kit.money_column("3 months before"),
    "growth_contribution": kit.pct_column("Part of company growth"),
    "customer_id": "Customer code",
    "region": "Region",
    "maintainer_rep_name": "Rep",
}


with kit.spinner("Loading growth ..."):
    frame = kit.cached(growth.customer_growth, user.scope, filters)
    stages = kit.cached(growth.lifecycle_by_month, user.scope, filters)
    risk = kit.cached(growth.at_risk, user.scope, filters)

month = f"{filters.month:%b %Y}"
st.caption(f"{kit.md(filters.describe())} · you see {kit.md(user.scope.describe())} · growth = revenue of the "
           f"3 months to the end of {month} against the 3 months before")
if frame.height == 0:
    kit.empty()
    st.stop()

# --- headline --------------------------------------------------------------------------------

before = float(frame["previous_3_revenue"].sum())
after = float(frame["trailing_3_revenue"].sum())
cols = st.columns(4)
cols[0].metric("Revenue, last 3 months", kit.money(after),
               delta=kit.money(after - before), help=f"3 months before: {kit.money(before)}")
cols[1].metric("Growth", kit.pct(after / before - 1) if before else "–",
               help="Selected customers, last 3 months against the 3 before.")
company = frame["company_trailing_3_growth"].drop_nulls()
cols[2].metric("Company growth", kit.pct(company[0]) if company.len() else "–")
cols[3].metric("Growing faster than the company",
               f"{int(frame['is_above_company_rate'].fill_null(False).sum()):,} "
               f"of {frame.height:,}")

# --- top growers and decliners ---------------------------------------------------------------

growers, decliners = growth.top_movers(frame, n=10)
left, right = st.columns(2)
shown = list(MOVER_COLUMNS)
with left:
    st.subheader("Top growers")
    if growers.height == 0:
        kit.empty("No customer grew.")
    else:
        kit.customer_table(growers.select(shown), key="growth_growers",
                           column_config=MOVER_COLUMNS)
        kit.download(growers.select(shown), f"growers_{filters.month:%Y-%m}",
                     key="dl_growers")
with right:
    st.subheader("Top decliners")
    if decliners.height == 0:
        kit.empty("No customer declined.")
    else:
        kit.customer_table(decliners.select(shown), key="growth_decliners",
                           column_config=MOVER_COLUMNS)
        kit.download(decliners.select(shown), f"decliners_{filters.month:%Y-%m}",
                     key="dl_decliners")

# --- growth contribution ---------------------------------------------------------------------

st.subheader("Growth contribution")
dimension = st.radio("Split by", list(growth.DIMENSIONS), horizontal=True,
                     format_func=growth.DIMENSIONS.get, key="growth_dimension")
label = growth.DIMENSIONS[dimension]
if dimension == "region":
    # a customer that moved region counts, as booked, for the region of each order
    view = kit.attribution_view("growth_region_view")
    parts = kit.cached(attribution.region_growth, user.scope, filters, view)
    before = float(parts["previous_3_revenue"].sum())
    after = float(parts["trailing_3_revenue"].sum())
    st.caption(f"Shown {kit.md(attribution.describe(view))}")
else:
    parts = growth.contribution_by(frame, dimension)
names = [kit.plot_text(str(v).replace("_", " ")) for v in parts[dimension].to_list()]
waterfall = go.Figure(go.Waterfall(
    x=["3 months before", *names, "Last 3 months"],
    measure=["absolute", *["relative"] * parts.height, "total"],
    y=[before, *parts["change"].to_list(), after],
    text=[kit.money(before), *[kit.money(v) for v in parts["change"].to_list()],
          kit.money(after)],
    textposition="outside",
    increasing={"marker": {"color": "#2e8b57"}}, decreasing={"marker": {"color": "#c0392b"}},
    totals={"marker": {"color": "#1f5fa8"}},
    hovertemplate="%{x}: ¥%{y:,.0f}<extra></extra>"))
waterfall.update_layout(
    title=f"Revenue change by {label.lower()}: 3 months before to the last 3 months",
    xaxis_title=label, yaxis_title="Revenue (¥)", yaxis_tickformat=",.0f",
    yaxis_tickprefix="¥", height=420, showlegend=False, margin={"t": 60, "b": 40})
kit.chart(waterfall, key="growth_waterfall")
kit.grid(parts, hide_index=True, column_config={
    dimension: label,
    "previous_3_revenue": kit.money_column("3 months before"),
    "trailing_3_revenue": kit.money_column("Last 3 months"),
    "change": kit.money_column("Change"),
    "customers": "Customers",
    "share_of_change": kit.pct_column("Share of the change"),
}, key="growth_contribution_table")
kit.download(parts, f"growth_by_{dimension}_{filters.month:%Y-%m}", key="dl_contribution")

# --- lifecycle over time ---------------------------------------------------------------------

st.subheader("Lifecycle stages over time")
if stages.height == 0:
    kit.empty("No lifecycle months for these filters.")
else:
    stage_fig = go.Figure()
    for stage in growth.STAGES:
        part = stages.filter(pl.col("lifecycle_stage") == stage).sort("month_start")
        stage_fig.add_trace(go.Bar(
            x=part["month_start"].to_list(), y=part["customers"].to_list(), name=stage,
            marker_color=STAGE_COLOURS[stage],
            hovertemplate="%{x|%b %Y}: %{y} " + stage + "<extra></extra>"))
    stage_fig.update_layout(
        barmode="stack", title="Customers by lifecycle stage, month by month",
        xaxis_title="Month", yaxis_title="Customers (count)", xaxis_tickformat="%b %Y",
        legend_title_text="Stage", height=400, margin={"t": 60, "b": 40})
    kit.chart(stage_fig, key="growth_lifecycle")
    wide = (stages.pivot(on="lifecycle_stage", index="month_start", values="customers")
            .sort("month_start", descending=True))
    kit.download(wide, f"lifecycle_by_month_{filters.month:%Y-%m}", key="dl_lifecycle")

# --- at risk ---------------------------------------------------------------------------------

st.subheader("At risk")
st.caption(f"Customers declining, past their usual gap between orders, or dropped a tier in "
           f"{month}; not yet churned. Biggest tier first.")
if risk.height == 0:
    kit.empty("No customer at risk for these filters.")
else:
    risk_table = risk.select("customer_id", "customer_name", "tier", "reasons",
                             "lifecycle_stage", "days_since_last_order", "median_order_gap_days",
                             "previous_3_revenue", "trailing_3_revenue", "trailing_3_growth",
                             "last_order_date", "maintainer_rep_name")
    kit.customer_table(risk_table, key="growth_at_risk", height=360, column_config={
        "customer_id": "Customer code",
        "customer_name": "Customer",
        "tier": "Tier",
        "reasons": "Why",
        "lifecycle_stage": "Stage",
        "days_since_last_order": "Days since last order",
        "median_order_gap_days": st.column_config.NumberColumn("Usual gap (days)",
                                                               format="%.0f"),
        "previous_3_revenue": kit.money_column("3 months before"),
        "trailing_3_revenue": kit.money_column("Last 3 months"),
        "trailing_3_growth": kit.pct_column("Growth"),
        "last_order_date": st.column_config.DateColumn("Last order"),
        "maintainer_rep_name": "Rep",
    })
    kit.download(risk_table, f"at_risk_{filters.month:%Y-%m}", key="dl_at_risk")
