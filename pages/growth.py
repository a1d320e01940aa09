"""Growth page: who grows and who declines. Top growers and decliners, the growth contribution
by region and channel, the lifecycle stages month by month and the customers at risk. Rows open
the customer's card."""

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from models.core.scoping import Scope
from models.queries import attribution, growth
from models.queries.filters import Filters
from pages import _ui

st.title("Growth")
user = _ui.require_user()
wh = _ui.warehouse()
filters = _ui.current_filters(user)

STAGE_COLOURS = {"prospect": "#b8c2cc", "new": "#9cc3ea", "growing": "#2e8b57",
                 "mature": "#1f5fa8", "declining": "#e67e22", "churned": "#c0392b"}
MOVER_COLUMNS = {  # the most telling first: the tables sit side by side
    "customer_name": "Customer",
    "trailing_3_change": _ui.money_column("Change"),
    "trailing_3_growth": _ui.pct_column("Growth"),
    "tier": "Tier",
    "trailing_3_revenue": _ui.money_column("Last 3 months"),
    "previous_3_revenue": _ui.money_column("3 months before"),
    "growth_contribution": _ui.pct_column("Part of company growth"),
    "customer_id": "Customer code",
    "region": "Region",
    "maintainer_rep_name": "Rep",
}


@st.cache_data(ttl=600, show_spinner=False)
def _growth(build_id: str, scope: Scope, chosen: Filters) -> pl.DataFrame:
    return growth.customer_growth(wh, scope, chosen)


@st.cache_data(ttl=600, show_spinner=False)
def _region_growth(build_id: str, scope: Scope, chosen: Filters, view: str) -> pl.DataFrame:
    return attribution.region_growth(wh, scope, chosen, view)


@st.cache_data(ttl=600, show_spinner=False)
def _lifecycle(build_id: str, scope: Scope, chosen: Filters) -> pl.DataFrame:
    return growth.lifecycle_by_month(wh, scope, chosen)


@st.cache_data(ttl=600, show_spinner=False)
def _at_risk(build_id: str, scope: Scope, chosen: Filters) -> pl.DataFrame:
    return growth.at_risk(wh, scope, chosen)


with _ui.spinner("Loading growth ..."):
    frame = _growth(wh.build_id, user.scope, filters)
    stages = _lifecycle(wh.build_id, user.scope, filters)
    risk = _at_risk(wh.build_id, user.scope, filters)

month = f"{filters.month:%b %Y}"
st.caption(f"{_ui.md(filters.describe())} · you see {_ui.md(user.scope.describe())} · growth = revenue of the "
           f"3 months to the end of {month} against the 3 months before")
if frame.height == 0:
    _ui.empty()
    st.stop()

# --- headline --------------------------------------------------------------------------------

before = float(frame["previous_3_revenue"].sum())
after = float(frame["trailing_3_revenue"].sum())
cols = st.columns(4)
cols[0].metric("Revenue, last 3 months", _ui.money(after),
               delta=_ui.money(after - before), help=f"3 months before: {_ui.money(before)}")
cols[1].metric("Growth", _ui.pct(after / before - 1) if before else "–",
               help="Selected customers, last 3 months against the 3 before.")
company = frame["company_trailing_3_growth"].drop_nulls()
cols[2].metric("Company growth", _ui.pct(company[0]) if company.len() else "–")
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
        _ui.empty("No customer grew.")
    else:
        _ui.customer_table(growers.select(shown), key="growth_growers",
                           column_config=MOVER_COLUMNS)
        _ui.download(growers.select(shown), f"growers_{filters.month:%Y-%m}",
                     key="dl_growers")
with right:
    st.subheader("Top decliners")
    if decliners.height == 0:
        _ui.empty("No customer declined.")
    else:
        _ui.customer_table(decliners.select(shown), key="growth_decliners",
                           column_config=MOVER_COLUMNS)
        _ui.download(decliners.select(shown), f"decliners_{filters.month:%Y-%m}",
                     key="dl_decliners")

# --- growth contribution ---------------------------------------------------------------------

st.subheader("Growth contribution")
dimension = st.radio("Split by", list(growth.DIMENSIONS), horizontal=True,
                     format_func=growth.DIMENSIONS.get, key="growth_dimension")
label = growth.DIMENSIONS[dimension]
if dimension == "region":
    # a customer that moved region counts, as booked, for the region of each order
    view = _ui.attribution_view("growth_region_view")
    parts = _region_growth(wh.build_id, user.scope, filters, view)
    before = float(parts["previous_3_revenue"].sum())
    after = float(parts["trailing_3_revenue"].sum())
    st.caption(f"Shown {_ui.md(attribution.describe(view))}")
else:
    parts = growth.contribution_by(frame, dimension)
names = [_ui.plot_text(str(v).replace("_", " ")) for v in parts[dimension].to_list()]
waterfall = go.Figure(go.Waterfall(
    x=["3 months before", *names, "Last 3 months"],
    measure=["absolute", *["relative"] * parts.height, "total"],
    y=[before, *parts["change"].to_list(), after],
    text=[_ui.money(before), *[_ui.money(v) for v in parts["change"].to_list()],
          _ui.money(after)],
    textposition="outside",
    increasing={"marker": {"color": "#2e8b57"}}, decreasing={"marker": {"color": "#c0392b"}},
    totals={"marker": {"color": "#1f5fa8"}},
    hovertemplate="%{x}: ¥%{y:,.0f}<extra></extra>"))
waterfall.update_layout(
    title=f"Revenue change by {label.lower()}: 3 months before to the last 3 months",
    xaxis_title=label, yaxis_title="Revenue (¥)", yaxis_tickformat=",.0f",
    yaxis_tickprefix="¥", height=420, showlegend=False, margin={"t": 60, "b": 40})
_ui.chart(waterfall, key="growth_waterfall")
_ui.grid(parts, hide_index=True, column_config={
    dimension: label,
    "previous_3_revenue": _ui.money_column("3 months before"),
    "trailing_3_revenue": _ui.money_column("Last 3 months"),
    "change": _ui.money_column("Change"),
    "customers": "Customers",
    "share_of_change": _ui.pct_column("Share of the change"),
}, key="growth_contribution_table")
_ui.download(parts, f"growth_by_{dimension}_{filters.month:%Y-%m}", key="dl_contribution")

# --- lifecycle over time ---------------------------------------------------------------------

st.subheader("Lifecycle stages over time")
if stages.height == 0:
    _ui.empty("No lifecycle months for these filters.")
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
    _ui.chart(stage_fig, key="growth_lifecycle")
    wide = (stages.pivot(on="lifecycle_stage", index="month_start", values="customers")
            .sort("month_start", descending=True))
    _ui.download(wide, f"lifecycle_by_month_{filters.month:%Y-%m}", key="dl_lifecycle")

# --- at risk ---------------------------------------------------------------------------------

st.subheader("At risk")
st.caption(f"Customers declining, past their usual gap between orders, or dropped a tier in "
           f"{month}; not yet churned. Biggest tier first.")
if risk.height == 0:
    _ui.empty("No customer at risk for these filters.")
else:
    risk_table = risk.select("customer_id", "customer_name", "tier", "reasons",
                             "lifecycle_stage", "days_since_last_order", "median_order_gap_days",
                             "previous_3_revenue", "trailing_3_revenue", "trailing_3_growth",
                             "last_order_date", "maintainer_rep_name")
    _ui.customer_table(risk_table, key="growth_at_risk", height=360, column_config={
        "customer_id": "Customer code",
        "customer_name": "Customer",
        "tier": "Tier",
        "reasons": "Why",
        "lifecycle_stage": "Stage",
        "days_since_last_order": "Days since last order",
        "median_order_gap_days": st.column_config.NumberColumn("Usual gap (days)",
                                                               format="%.0f"),
        "previous_3_revenue": _ui.money_column("3 months before"),
        "trailing_3_revenue": _ui.money_column("Last 3 months"),
        "trailing_3_growth": _ui.pct_column("Growth"),
        "last_order_date": st.column_config.DateColumn("Last order"),
        "maintainer_rep_name": "Rep",
    })
    _ui.download(risk_table, f"at_risk_{filters.month:%Y-%m}", key="dl_at_risk")
