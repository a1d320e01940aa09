"""Scoring page: who matters most. The Pareto curve of the selected customers with the tier
boundaries and the count per tier, the tier table, tier migration between two months, the
priority matrix (value against service need) and the potential checklist. Rows open the
customer's card."""


import numpy as np
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from models.queries import scoring, visits
from models.i18n import MONEY_GRID
from models.i18n.frames import with_labels
from models.core.clock import add_months
from models.queries.filters import TIERS
from ui import kit
from ui.i18n import label, lang, money, money_short, month_label, percent, t

st.title(t("Scoring"))
user = kit.require_user()
wh = kit.warehouse()
filters = kit.current_filters(user)

# Columns of codes the grids show by their labels (the frames keep the codes for downloads).
CODE_KINDS = {"tier_move": "tier_move", "channel": "channel", "lifecycle_stage": "lifecycle_stage",
              "quadrant": "quadrant"}


def money_grid(title: str):
    """A money column of a grid: -¥4.31."""
    return st.column_config.NumberColumn(title, **MONEY_GRID)


TIER_COLOURS = {"S": "#1f5fa8", "A": "#4a90d9", "B": "#9cc3ea", "C": "#b8c2cc"}
TIER_LABELS = {"S": t("S (key account)"), "A": "A", "B": "B", "C": "C",
               scoring.NOT_A_CUSTOMER: t("no tier")}


def _customdata(frame: pl.DataFrame, *columns: str) -> np.ndarray:
    """Hover data as one numpy array: plotly checks a list of tuples element by element, which
    took seconds for the customers of a whole company. Text is escaped for Plotly's HTML."""
    return frame.select(frame[c].cast(pl.Float64) if frame[c].dtype.is_numeric()
                        else kit.plot_text(frame[c]) for c in columns).to_numpy()


with kit.spinner(t("Loading the tiers ...")):
    tiers = kit.cached(scoring.tiers, user.scope, filters)
    scores = kit.cached(scoring.scores, user.scope, filters)

st.caption(t("{filters} · you see {scope} · tiers as of the end of the month, by average monthly "
             "revenue over the tier window", filters=kit.md(filters.describe(lang())),
             scope=kit.md(user.scope.describe(lang()))))
if tiers.height == 0:
    kit.empty()
    st.stop()

pareto = scoring.pareto(tiers)

# --- tier counts and the Pareto curve --------------------------------------------------------

st.subheader(t("Tiers and the Pareto curve"))
columns = st.columns(len(TIERS))
for column, tier in zip(columns, TIERS):
    share = pareto.counts.filter(pl.col("tier") == tier)["revenue_share"][0]
    column.metric(t("{tier} customers", tier=TIER_LABELS[tier]), f"{pareto.count(tier):,}",
                  help=t("{share} of the selection's average monthly revenue",
                         share=percent(share)))
columns = st.columns(len(TIERS))  # the totals under the tiers, so that 万 figures fit
columns[0].metric(t("Number of customers"), f"{pareto.customers:,}")
columns[1].metric(t("Average monthly revenue"), money_short(pareto.total_avg_monthly_revenue),
                   help=t("Exactly {amount}: the selection's average monthly revenue over the "
                          "tier window.", amount=money(pareto.total_avg_monthly_revenue)))

curve = pareto.curve
# A chart of tens of thousands of markers is slow to build and to draw: beyond MAX_POINTS
# customers, plot every n-th one (and the last); the tier counts above are exact.
MAX_POINTS = 2000
step = max(1, -(-curve.height // MAX_POINTS))
if step > 1:
    curve = pl.concat([curve.gather_every(step), curve.tail(1)]).unique(
        "selection_rank", keep="first", maintain_order=True)
    st.caption(t("The chart shows every {step}th customer of {customers}.", step=step,
                 customers=f"{pareto.customers:,}"))
fig = go.Figure()
for tier in TIERS:
    part = curve.filter(pl.col("tier") == tier)
    if part.height == 0:
        continue
    fig.add_trace(go.Scatter(
        x=part["selection_rank"].to_numpy(), y=(part["cum_share"] * 100).to_numpy(),
        mode="markers", name=TIER_LABELS[tier], marker={"color": TIER_COLOURS[tier], "size": 7},
        customdata=_customdata(part, "customer_name", "avg_monthly_revenue"),
        hovertemplate=t("<b>%{{customdata[0]}}</b><br>rank %{{x}}<br>average "
                        "¥%{{customdata[1]:,.0f}} a month<br>cumulative %{{y:.1f}} %"
                        "<extra>{tier}</extra>", tier=TIER_LABELS[tier])))
fig.add_trace(go.Scatter(x=np.concatenate([[0], curve["selection_rank"].to_numpy()]),
                         y=np.concatenate([[0], (curve["cum_share"] * 100).to_numpy()]),
                         mode="lines",
                         line={"color": "#555", "width": 1.5}, hoverinfo="skip",
                         showlegend=False))
for boundary in pareto.boundaries:
    fig.add_vline(x=boundary.customers + 0.5, line_dash="dash", line_color="#c0392b")
    fig.add_annotation(x=boundary.customers, y=boundary.share * 100, showarrow=True,
                       arrowhead=2, ax=45, ay=35, xanchor="left", font={"color": "#c0392b"},
                       bgcolor="rgba(255,255,255,0.85)",
                       text=t("{boundary}: top {customers} = {share} %",
                              boundary=boundary.label, customers=f"{boundary.customers:,}",
                              share=f"{boundary.share * 100:.1f}"))
fig.update_layout(
    title=t("Pareto curve: cumulative share of average monthly revenue"),
    xaxis_title=t("Customers ranked by average monthly revenue (count)"),
    yaxis_title=t("Cumulative share of revenue (%)"), yaxis_range=[0, 102],
    legend_title_text=t("Tier"), height=420, margin={"t": 60, "b": 40})
kit.chart(fig, key="pareto_chart")

# --- the tier table --------------------------------------------------------------------------

st.subheader(t("Tier table"))
st.caption(t("Select a row to open the customer's card."))
table = tiers.select("customer_id", "customer_name", "tier", "previous_tier", "tier_move",
                     "avg_monthly_revenue", "selection_rank", "cum_share", "tier_rank",
                     "region", "channel", "maintainer_rep_name", "lifecycle_stage")
kit.customer_table(with_labels(table, CODE_KINDS, lang()), key="scoring_tier_table", height=360,
                   column_config={
    "customer_id": t("Customer code"),
    "customer_name": t("Customer"),
    "tier": t("Tier"),
    "previous_tier": t("Tier last month"),
    "tier_move": t("Move"),
    "avg_monthly_revenue": money_grid(t("Average monthly revenue")),
    "selection_rank": t("Rank here"),
    "cum_share": kit.pct_column(t("Cumulative share here")),
    "tier_rank": t("Rank in tier scope"),
    "region": t("Region"),
    "channel": t("Channel"),
    "maintainer_rep_name": t("Rep"),
    "lifecycle_stage": t("Stage"),
})
kit.download(table, t("tiers_{month}", month=f"{filters.month:%Y-%m}"), key="dl_scoring_tiers")

# --- tier migration --------------------------------------------------------------------------

st.subheader(t("Tier migration"))
months = kit.options(user).months  # newest first
default_from = add_months(filters.month, -3)
left, right = st.columns(2)
from_month = left.selectbox(t("From month"), months,
                            index=months.index(default_from) if default_from in months
                            else len(months) - 1,
                            format_func=month_label, key="migration_from")
to_month = right.selectbox(t("To month"), months,
                           index=months.index(filters.month) if filters.month in months else 0,
                           format_func=month_label, key="migration_to")
moves = kit.cached(scoring.tier_migration, user.scope, filters, from_month, to_month)
if moves.height == 0:
    kit.empty(t("None of the selected customers had a tier in either month."))
else:
    summary = scoring.migration_summary(moves)
    cols = st.columns(5)
    for col, (key, title) in zip(cols, [("up", t("Moved up")), ("down", t("Moved down")),
                                         ("same", t("Same tier")), ("new", t("New")),
                                         ("gone", t("No tier any more"))]):
        col.metric(title, f"{summary[key]:,}")
    matrix = scoring.migration_matrix(moves)
    levels = [c for c in matrix.columns if c != "from_tier"]
    values = [[int(v) for v in row] for row in matrix.select(levels).iter_rows()]
    heat = go.Figure(go.Heatmap(
        z=values, x=[TIER_LABELS[level] for level in levels],
        y=[TIER_LABELS[level] for level in matrix["from_tier"].to_list()],
        text=values, texttemplate="%{text}", colorscale="Blues", showscale=False,
        hovertemplate=t("%{{y}} → %{{x}}: %{{z}} customers<extra></extra>")))
    heat.update_layout(
        title=t("Customers by tier: {start} (rows) to {end} (columns)",
                start=month_label(from_month), end=month_label(to_month)),
        xaxis_title=t("Tier in {month}", month=month_label(to_month)),
        yaxis_title=t("Tier in {month}", month=month_label(from_month)),
        yaxis_autorange="reversed", height=380, margin={"t": 60, "b": 40})
    kit.chart(heat, key="migration_chart")
    kit.download(moves.sort("from_tier", "to_tier"),
                 t("tier_migration_{start}_{end}", start=f"{from_month:%Y-%m}",
                   end=f"{to_month:%Y-%m}"), key="dl_migration")

# --- priority matrix -------------------------------------------------------------------------

st.subheader(t("Priority matrix"))
cuts = scoring.cuts(scores)
if not visits.visits_loaded(wh):
    st.info(t("{no_visits} Until then customers are ranked by evaluation score alone (the "
              "table above).", no_visits=visits.no_visits(lang())))
elif cuts is None:
    kit.empty(t("No evaluation scores for the selected customers."))
else:
    as_of = scores["month_start"][0]
    st.caption(t("Evaluation as of {month} (the build's as-of month). Value: the evaluation "
                 "score; service need: hours of visits over the recent period the data team "
                 "set. Cut at {value_cut} points and {need_cut} hours (the medians of all "
                 "scored customers by default).", month=month_label(as_of),
                 value_cut=f"{cuts.value_cut:.1f}", need_cut=f"{cuts.need_cut:.1f}"))
    quadrants = scoring.quadrant_counts(scores)
    cols = st.columns(4)
    for col, (priority, quadrant, n) in zip(
            cols, quadrants.select("priority", "quadrant", "customers").iter_rows()):
        col.metric(f"{priority} · {label('quadrant', quadrant)}", f"{n:,}")
    matrix_fig = go.Figure()
    for tier in TIERS:
        part = scores.filter(pl.col("tier") == tier)
        if part.height == 0:
            continue
        matrix_fig.add_trace(go.Scatter(
            x=part["service_need_hours"].to_numpy(), y=part["evaluation_score"].to_numpy(),
            mode="markers", name=TIER_LABELS[tier],
            marker={"color": TIER_COLOURS[tier], "size": 9, "line": {"width": 0.5,
                                                                   "color": "#333"}},
            customdata=_customdata(with_labels(part, CODE_KINDS, lang()), "customer_name",
                                   "customer_id", "avg_monthly_revenue", "quadrant"),
            hovertemplate=t("<b>%{{customdata[0]}}</b> (%{{customdata[1]}})<br>score %{{y:.1f}}, "
                            "%{{x:.1f}} visit hours<br>average ¥%{{customdata[2]:,.0f}} a month"
                            "<br>%{{customdata[3]}}<extra>{tier}</extra>",
                            tier=TIER_LABELS[tier])))
    matrix_fig.add_hline(y=cuts.value_cut, line_dash="dash", line_color="#c0392b")
    matrix_fig.add_vline(x=cuts.need_cut, line_dash="dash", line_color="#c0392b")
    for x_side, y_side, text in (
            ("left", "top", f"1 {label('quadrant', 'quick_win')}"),
            ("right", "top", f"2 {label('quadrant', 'develop')}"),
            ("left", "bottom", f"3 {label('quadrant', 'maintain')}"),
            ("right", "bottom", f"4 {label('quadrant', 'reduce')}")):
        matrix_fig.add_annotation(xref="paper", yref="paper", x=0.01 if x_side == "left" else 0.99,
                                  y=0.99 if y_side == "top" else 0.01, text=text,
                                  showarrow=False, xanchor=x_side, yanchor=y_side,
                                  font={"color": "#c0392b"})
    matrix_fig.update_layout(
        title=t("Priority matrix: value against service need"),
        xaxis_title=t("Service need (visit hours)"),
        yaxis_title=t("Evaluation score (0-100 points)"),
        legend_title_text=t("Tier"), height=480, margin={"t": 60, "b": 40})
    kit.chart(matrix_fig, key="priority_chart")
    priority_table = scores.select("customer_id", "customer_name", "tier", "priority",
                                   "quadrant", "evaluation_score", "service_need_hours",
                                   "avg_monthly_revenue", "lifecycle_stage",
                                   "maintainer_rep_name")
    kit.customer_table(with_labels(priority_table, CODE_KINDS, lang()),
                       key="scoring_priority_table", height=300, column_config={
        "customer_id": t("Customer code"),
        "customer_name": t("Customer"),
        "tier": t("Tier"),
        "priority": t("Priority"),
        "quadrant": t("Quadrant"),
        "evaluation_score": st.column_config.NumberColumn(t("Evaluation score"), format="%.1f"),
        "service_need_hours": st.column_config.NumberColumn(t("Visit hours"), format="%.1f"),
        "avg_monthly_revenue": money_grid(t("Average monthly revenue")),
        "lifecycle_stage": t("Stage"),
        "maintainer_rep_name": t("Rep"),
    })
    kit.download(priority_table, t("priority_matrix"), key="dl_priority")

# --- potential checklist ---------------------------------------------------------------------

st.subheader(t("Potential checklist"))
st.caption(t("Prospects and C customers: seven yes/no criteria, each from the data unless an "
             "assessment answers it."))
checklist = scoring.potential_checklist(scores, lang())
if checklist.height == 0:
    kit.empty(t("No prospects or C customers among the selected customers."))
else:
    config = {"customer_id": t("Customer code"), "customer_name": t("Customer"),
              "tier": t("Tier"), "lifecycle_stage": t("Stage"),
              "potential_score": st.column_config.ProgressColumn(
                  t("Potential (0-7)"), min_value=0, max_value=len(scoring.CHECKLIST),
                  format="%d"),
              "assessed": t("Answered by an assessment"),
              "avg_monthly_revenue": money_grid(t("Average monthly revenue")),
              "maintainer_rep_name": t("Rep")}
    config.update({c: st.column_config.CheckboxColumn(name)
                   for c, name in scoring.checklist_labels(lang()).items()})
    kit.customer_table(with_labels(checklist, CODE_KINDS, lang()), key="scoring_checklist",
                       height=320, column_config=config)
    kit.download(checklist, t("potential_checklist"), key="dl_checklist")
