"""Overview page: the figures a sales manager opens every morning (revenue against last year,
customers by stage, tier mix, visit compliance) and the open alerts, each row leading to the
customer's card."""

from datetime import date

import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from models.queries import attribution, overview, visits
from models.queries.filters import add_months
from ui import kit

st.title("Overview")
user = kit.require_user()
wh = kit.warehouse()
filters = kit.current_filters(user)

TIER_COLOURS = {"S": "#1f5fa8", "A": "#4a90d9", "B": "#9cc3ea", "C": "#d3dce6"}


with kit.spinner("Loading the overview ..."):
    counts = kit.cached(overview.customer_counts, user.scope, filters)
    tiers = kit.cached(overview.tier_mix, user.scope, filters)
    compliance = kit.cached(overview.visit_compliance, user.scope, filters)
    alerts = kit.cached(overview.alerts, user.scope, filters)

st.caption(f"{kit.md(filters.describe())} · you see {kit.md(user.scope.describe())}")
if counts.total == 0:
    kit.empty()
    st.stop()

month_label = filters.month.strftime("%b %Y")
previous_label = add_months(filters.month, -1).strftime("%b")

# --- revenue ---------------------------------------------------------------------------------

st.subheader("Revenue against the same months last year")
view = kit.attribution_view("overview_revenue_view")
with kit.spinner("Loading revenue ..."):
    revenue = kit.cached(overview.revenue_summary, user.scope, filters, view)
if filters.region or filters.rep_id:
    st.caption(f"The region and rep filters are taken {kit.md(attribution.describe(view))}")
for column, period in zip(st.columns(3), revenue.periods):
    with column:
        if period.change is not None:
            delta = f"{period.change * 100:+.1f} % vs {period.prior_label}"
        elif period.prior_revenue is None:
            delta = None
        else:
            delta = f"no revenue in {period.prior_label}"
        st.metric(f"Revenue {period.label}", kit.money(period.revenue), delta=delta,
                  delta_color="normal" if period.change is not None else "off",
                  help=f"Net of returns, {period.first_month:%b %Y} to {period.last_month:%b %Y}; "
                       f"a year earlier ({period.prior_label}): "
                       f"{kit.money(period.prior_revenue)}.")
        prior_profit = ("" if period.prior_gross_profit is None else
                        f" ({kit.money(period.prior_gross_profit)} a year earlier)")
        st.caption(f"Gross profit {kit.money(period.gross_profit)}{prior_profit}")
        if period.prior_revenue is None:
            st.caption(f"No comparison: the warehouse starts in {revenue.first_month:%b %Y}.")
if revenue.periods and revenue.periods[0].is_partial:
    st.warning(f"{month_label} is still running (data to {revenue.as_of_date:%d %b %Y}): its "
               "figures are month to date, compared with whole months a year earlier.",
               icon=":material/schedule:")

# --- customers -------------------------------------------------------------------------------

st.subheader(f"Customers in {month_label}")
kinds = [
    ("active", "Active", "normal", "Customers that are neither churned nor prospects (they "
                                   "ordered within the churn limit)."),
    ("new", "New", "normal", "First order in the last few months (lifecycle stage new)."),
    ("declining", "Declining", "inverse", "Revenue of the last 3 months down against the 3 "
                                          "before, or no order for a while."),
    ("churned", "Churned", "inverse", "No order for the churn limit or longer."),
]
for column, (kind, label, colour, help_text) in zip(st.columns(4), kinds):
    now, before = counts.count(kind), counts.count(kind, previous=True)
    column.metric(label, f"{now:,}", delta=f"{now - before:+,} vs {previous_label}",
                  delta_color=colour if now != before else "off", help=help_text)
st.caption(f"{counts.total:,} customers with activity so far; "
           f"{counts.count('prospect'):,} prospects (visited, never ordered).")

# --- tiers and visits ------------------------------------------------------------------------

tier_col, visit_col = st.columns(2, gap="large")
with tier_col:
    st.subheader("Tier mix")
    if tiers.is_empty():
        kit.empty("No tiers for these customers in this month.")
    else:
        fig = make_subplots(rows=1, cols=2, subplot_titles=("Customers", "Revenue (¥)"),
                            horizontal_spacing=0.22)
        colours = [TIER_COLOURS[t] for t in tiers["tier"]]
        fig.add_trace(go.Bar(x=tiers["tier"].to_list(), y=tiers["customers"].to_list(),
                             marker_color=colours, name="Customers", textangle=0,
                             text=[f"{n:,}" for n in tiers["customers"]],
                             hovertemplate="Tier %{x}: %{y:,} customers<extra></extra>"),
                      row=1, col=1)
        fig.add_trace(go.Bar(x=tiers["tier"].to_list(), y=tiers["revenue"].to_list(),
                             marker_color=colours, name="Revenue", textangle=0,
                             text=[kit.pct(s, 0) for s in tiers["revenue_share"]],
                             hovertemplate="Tier %{x}: ¥%{y:,.0f}<extra></extra>"),
                      row=1, col=2)
        fig.update_yaxes(title_text="Customers", row=1, col=1)
        fig.update_yaxes(title_text="Revenue (¥)", tickprefix="¥", tickformat=",.0f", row=1,
                         col=2)
        fig.update_xaxes(title_text="Tier")
        fig.update_layout(title=f"Customers and revenue by tier, {month_label}",
                          showlegend=False, height=340, margin=dict(t=70, b=40))
        kit.chart(fig, width="stretch")

with visit_col:
    st.subheader("Visit compliance")
    if not visits.visits_loaded(wh):
        st.info(visits.NO_VISITS)
    elif compliance is None:
        kit.empty(f"No visit compliance for {month_label}: it is kept for the last 12 months.")
    else:
        a, b = st.columns(2)
        a.metric("Visits made / required", kit.pct(compliance.fulfilment_rate, 0),
                 help=f"{compliance.done_visits:,} onsite visits made against "
                      f"{compliance.required_visits:,.0f} the visit policy requires in the "
                      f"weeks starting in {month_label}.")
        b.metric("Customer-weeks on policy", kit.pct(compliance.compliant_week_share, 0),
                 help=f"{compliance.compliant_customer_weeks:,} of "
                      f"{compliance.customer_weeks:,} customer-weeks met the visit policy.")
        by_tier = compliance.by_tier
        fig = go.Figure([
            go.Bar(name="Required", x=by_tier["policy_tier"].to_list(),
                   y=by_tier["required_visits"].to_list(), marker_color="#d3dce6",
                   hovertemplate="%{x}: %{y:,.1f} required<extra></extra>"),
            go.Bar(name="Made", x=by_tier["policy_tier"].to_list(),
                   y=by_tier["done_visits"].to_list(), marker_color="#1f5fa8",
                   hovertemplate="%{x}: %{y:,} made<extra></extra>"),
        ])
        fig.update_layout(title=f"Onsite visits by tier, weeks of {month_label}",
                          barmode="group", height=260, margin=dict(t=50, b=40),
                          xaxis_title="Visit policy (tier)", yaxis_title="Onsite visits",
                          legend=dict(orientation="h", y=1.02, x=1, xanchor="right",
                                      yanchor="bottom"))
        kit.chart(fig, width="stretch")

# --- alerts ----------------------------------------------------------------------------------

as_of = revenue.as_of_date
st.subheader("Open alerts" + (f" on {as_of:%d %b %Y}" if isinstance(as_of, date) else ""))
if alerts.is_empty():
    st.success("No open alerts for these customers.", icon=":material/check_circle:")
else:
    by_type = alerts.group_by("alert").len().sort("len", descending=True)
    st.caption(" · ".join(f"{label}: {n:,}" for label, n in by_type.iter_rows())
               + ". Select a row to open the customer's card.")
    shown = alerts.drop("alert_type")
    kit.customer_table(shown, key="overview_alerts", height=min(38 + 35 * len(shown), 420),
                       column_config={
                           "customer_id": st.column_config.TextColumn("Customer ID"),
                           "customer_name": st.column_config.TextColumn("Customer"),
                           "alert": st.column_config.TextColumn("Alert"),
                           "severity": st.column_config.TextColumn("Severity"),
                           "since_date": st.column_config.DateColumn("Since"),
                           "detail": st.column_config.TextColumn("Detail", width="large"),
                           "tier": st.column_config.TextColumn("Tier"),
                           "lifecycle_stage": st.column_config.TextColumn("Stage"),
                           "region": st.column_config.TextColumn("Region"),
                           "maintainer_rep_name": st.column_config.TextColumn("Rep"),
                           "last_order_date": st.column_config.DateColumn("Last order"),
                           "revenue_12m": kit.money_column("Revenue, 12 months"),
                       })
    names = dict(zip(alerts["customer_id"], alerts["customer_name"]))
    pick, go_button, download = st.columns([3, 1, 1], vertical_alignment="bottom")
    chosen_id = pick.selectbox("Or choose a customer with an alert", list(names),
                               format_func=lambda c: f"{names[c]} ({c})",
                               key="overview_alert_customer")
    if go_button.button("Open card", icon=":material/storefront:", key="overview_open_card"):
        kit.open_customer(chosen_id)
    with download:
        kit.download(shown, f"alerts_{filters.month:%Y_%m}", label="Download alerts")

with st.expander("The figures above as a table"):
    summary = revenue.frame()
    kit.grid(summary, hide_index=True, column_config={
        "period": "Period", "first_month": st.column_config.DateColumn("From", format="MMM YYYY"),
        "last_month": st.column_config.DateColumn("To", format="MMM YYYY"),
        "revenue": kit.money_column("Revenue"), "gross_profit": kit.money_column("Gross profit"),
        "year_ago_period": "Year-ago months",
        "year_ago_revenue": kit.money_column("Revenue a year earlier"),
        "year_ago_gross_profit": kit.money_column("Gross profit a year earlier"),
        "revenue_change": kit.pct_column("Change"),
    })
    kit.download(summary, f"revenue_{filters.month:%Y_%m}", label="Download revenue")

# --- revenue by region and rep ---------------------------------------------------------------

year_start = date(filters.month.year, 1, 1)
by_region = kit.cached(attribution.revenue_by_region, user.scope, filters, year_start,
                       filters.month)
by_rep = kit.cached(attribution.revenue_by_rep, user.scope, filters, year_start, filters.month)
year_label = f"Jan-{filters.month:%b %Y}"
with st.expander(f"Revenue by region and by rep, {year_label}: as booked and in the current "
                 "book"):
    st.caption("As booked: the region and rep that had the customer on each order date. "
               "Current book: the region and rep that have the customer today. They differ "
               "only for customers that moved. Orders taken: by the rep on the order itself. "
               "Every region and rep is listed (the region and rep filters are not applied).")
    region_col, rep_col = st.columns(2, gap="large")
    with region_col:
        kit.grid(by_region, hide_index=True, key="overview_by_region", column_config={
            "region": "Region", "booked": kit.money_column("As booked"),
            "current": kit.money_column("Current book"),
            "difference": kit.money_column("As booked - current book")})
        kit.download(by_region, f"revenue_by_region_{filters.month:%Y_%m}",
                     label="Download by region", key="dl_by_region")
    with rep_col:
        kit.grid(by_rep, hide_index=True, key="overview_by_rep", column_config={
            "rep_id": "Rep ID", "rep_name": "Rep", "region": "Rep's region",
            "booked": kit.money_column("As booked"),
            "current": kit.money_column("Current book"),
            "taken": kit.money_column("Orders taken")})
        kit.download(by_rep, f"revenue_by_rep_{filters.month:%Y_%m}",
                     label="Download by rep", key="dl_by_rep")
