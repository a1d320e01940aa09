"""Visits page: are customers visited as the policy of their tier asks? Compliance by rep and by
tier, the customers due or overdue for an onsite visit, visits per day and rep activity, and
check-ins far from the customer. Rows open the customer's card."""

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from models.queries import visits
from ui import kit

st.title("Visits")
user = kit.require_user()
wh = kit.warehouse()
filters = kit.current_filters(user)

COMPLIANCE_COLUMNS = {
    "rep_id": "Rep code",
    "rep_name": "Rep",
    "policy_tier": "Policy (tier)",
    "customers": "Customers",
    "required_visits": st.column_config.NumberColumn("Required onsite visits", format="%.1f"),
    "done_visits": "Onsite visits made",
    "fulfilment_rate": kit.pct_column("Done / required"),
    "compliant_week_share": kit.pct_column("Weeks on policy"),
    "overdue_customers": "Overdue at month end",
}


if not visits.visits_loaded(wh):
    st.info(visits.NO_VISITS)
    st.stop()

with kit.spinner("Loading visits ..."):
    weeks = kit.cached(visits.compliance_weeks, user.scope, filters)
    due = kit.cached(visits.overdue, user.scope, filters)
    month_visits = kit.cached(visits.month_visits, user.scope, filters)

month = f"{filters.month:%b %Y}"
st.caption(f"{kit.md(filters.describe())} · you see {kit.md(user.scope.describe())} · compliance: onsite visits "
           f"in the weeks starting in {month} against the visit policy of each customer's tier")
if weeks.height == 0 and due.height == 0 and month_visits.height == 0:
    kit.empty()
    st.stop()

by_rep = visits.compliance_by(weeks, "rep")
by_tier = visits.compliance_by(weeks, "tier")
far = visits.far_checkins(month_visits)

# --- headline --------------------------------------------------------------------------------

required = float(weeks["required_visits"].sum()) if weeks.height else 0.0
done = int(weeks["done_visits"].sum()) if weeks.height else 0
cols = st.columns(5)
cols[0].metric("Weeks on policy",
               kit.pct(weeks["is_compliant"].cast(pl.Float64).mean()) if weeks.height else "–",
               help="Share of customer-weeks whose policy window had the visits required.")
cols[1].metric("S/A overdue", f"{int(due['is_sa_overdue'].sum()) if due.height else 0:,}",
               help="S and A customers past their onsite visit due date: the customers of the "
                    "Overview's \"S/A visit overdue\" alerts.")
cols[2].metric("Due or overdue now", f"{due.height:,}",
               help="Customers whose next onsite visit is due on or before the build's as-of "
                    "date.")
cols[3].metric("Onsite visits made / required", f"{done:,} / {required:,.0f}",
               help=f"Weeks starting in {month}, selected customers.")
cols[4].metric(f"Far check-ins in {month}", f"{far.height:,}")

# --- compliance ------------------------------------------------------------------------------

st.subheader("Compliance by rep")
if by_rep.height == 0:
    kit.empty(f"No customer-weeks in {month} for these filters.")
else:
    # Weeks on policy and overdue customers lead: visits made / required averages over the
    # book, so a rep who over-visits a few customers looks fine while others go unvisited.
    ranked = by_rep.sort(["compliant_week_share", "rep_id"], nulls_last=True)
    names = [kit.plot_text(f"{n} ({r})") for r, n in zip(ranked["rep_id"], ranked["rep_name"])]
    rep_fig = go.Figure(go.Bar(
        x=(ranked["compliant_week_share"] * 100).to_list(), y=names, orientation="h",
        marker_color="#4a90d9",
        text=[f"{o} overdue" for o in ranked["overdue_customers"].to_list()],
        textposition="auto",
        customdata=list(zip(ranked["overdue_customers"].to_list(),
                            (ranked["fulfilment_rate"] * 100).fill_null(0).to_list())),
        hovertemplate="%{y}: %{x:.0f} % of customer-weeks on policy, %{customdata[0]} "
                      "customers overdue (visits made / required %{customdata[1]:.0f} %)"
                      "<extra></extra>"))
    rep_fig.update_layout(
        title=f"Weeks on policy by rep, {month} (label: customers overdue)",
        xaxis=dict(title="Customer-weeks on policy (%)", range=[0, 100]), yaxis_title="Rep",
        height=max(300, 28 * ranked.height + 120), margin={"t": 60, "b": 40})
    kit.chart(rep_fig, key="visits_by_rep_chart")
    trend = kit.cached(visits.compliance_trend, user.scope, filters)
    if trend.height:
        trend_fig = go.Figure()
        for (rid, rname), part in trend.group_by(["rep_id", "rep_name"], maintain_order=True):
            trend_fig.add_trace(go.Scatter(
                x=part["month_start"].to_list(),
                y=(part["compliant_week_share"].cast(pl.Float64) * 100).to_list(),
                mode="lines+markers", name=kit.plot_text(f"{rname} ({rid})"),
                hovertemplate="%{x|%b %Y}: %{y:.0f} %<extra>%{fullData.name}</extra>"))
        trend_fig.update_layout(
            title=f"Weeks on policy by rep, the {visits.TREND_MONTHS} months to {month}",
            xaxis=dict(title="Month", tickformat="%b %Y", dtick="M1"),
            yaxis=dict(title="Customer-weeks on policy (%)", range=[0, 100]),
            height=380, margin={"t": 60, "b": 40}, legend_title_text="Rep")
        kit.chart(trend_fig, key="visits_trend_chart")
    kit.grid(by_rep, hide_index=True, column_config=COMPLIANCE_COLUMNS,
                 key="visits_by_rep")
    kit.download(by_rep, f"visit_compliance_by_rep_{filters.month:%Y-%m}", key="dl_by_rep")

st.subheader("Compliance by tier")
if by_tier.height == 0:
    kit.empty(f"No customer-weeks in {month} for these filters.")
else:
    kit.grid(by_tier, hide_index=True, column_config=COMPLIANCE_COLUMNS,
                 key="visits_by_tier")
    kit.download(by_tier, f"visit_compliance_by_tier_{filters.month:%Y-%m}",
                 key="dl_by_tier")

# --- overdue ---------------------------------------------------------------------------------

st.subheader("Due or overdue customers")
if due.height == 0:
    kit.empty("No selected customer is due for an onsite visit.")
else:
    st.caption(f"As of {due['as_of_date'][0]:%d %b %Y} (the build's as-of date): S and A "
               "customers first, then the most days overdue. Select a row to open the card.")
    due_table = due.select("customer_id", "customer_name", "tier", "is_must_visit",
                           "days_overdue", "last_onsite_visit_date", "next_visit_due_date",
                           "visit_interval_days", "lifecycle_stage", "maintainer_rep_name")
    kit.customer_table(due_table, key="visits_overdue", height=360, column_config={
        "customer_id": "Customer code",
        "customer_name": "Customer",
        "tier": "Tier",
        "is_must_visit": st.column_config.CheckboxColumn("Must visit (S/A)"),
        "days_overdue": "Days overdue",
        "last_onsite_visit_date": st.column_config.DateColumn("Last onsite visit"),
        "next_visit_due_date": st.column_config.DateColumn("Due since"),
        "visit_interval_days": "Policy interval (days)",
        "lifecycle_stage": "Stage",
        "maintainer_rep_name": "Rep",
    })
    kit.download(due_table, "visits_due", key="dl_due")

# --- visits per day --------------------------------------------------------------------------

st.subheader("Visits per day")
if month_visits.height == 0:
    kit.empty(f"No visits in {month} for these filters.")
else:
    daily = visits.visits_per_day(month_visits)
    day_fig = go.Figure([
        go.Bar(x=daily["visit_date"].to_list(), y=daily["onsite"].to_list(), name="onsite",
               marker_color="#1f5fa8", hovertemplate="%{x|%d %b}: %{y} onsite<extra></extra>"),
        go.Bar(x=daily["visit_date"].to_list(), y=daily["phone"].to_list(), name="phone",
               marker_color="#9cc3ea", hovertemplate="%{x|%d %b}: %{y} phone<extra></extra>"),
    ])
    day_fig.update_layout(barmode="stack", title=f"Visits per day, {month}",
                          xaxis_title="Day", yaxis_title="Visits (count)",
                          legend_title_text="Type", height=360, margin={"t": 60, "b": 40})
    kit.chart(day_fig, key="visits_per_day_chart")
    activity = visits.rep_activity(month_visits)
    kit.grid(activity, hide_index=True, key="visits_rep_activity", column_config={
        "rep_id": "Rep code",
        "rep_name": "Rep",
        "visits": "Visits",
        "onsite_visits": "Onsite",
        "working_days": "Days with visits",
        "avg_minutes": st.column_config.NumberColumn("Average minutes", format="%.0f"),
        "order_share": kit.pct_column("With an order"),
        "far_checkins": "Far check-ins",
        "visits_per_day": st.column_config.NumberColumn("Visits per day", format="%.1f"),
    })
    kit.download(activity, f"rep_activity_{filters.month:%Y-%m}", key="dl_activity")

# --- far check-ins ---------------------------------------------------------------------------

st.subheader("Far check-ins")
if far.height == 0:
    kit.empty(f"No far check-ins in {month} for these filters.")
else:
    st.caption("Onsite check-ins farther from the customer's address than the limit the data "
               "team set, farthest first.")
    kit.customer_table(far, key="visits_far", height=300, column_config={
        "visit_date": st.column_config.DateColumn("Day"),
        "rep_id": "Rep code",
        "rep_name": "Rep",
        "customer_id": "Customer code",
        "customer_name": "Customer",
        "checkin_distance_km": st.column_config.NumberColumn("Distance (km)", format="%.2f"),
        "outcome": "Outcome",
        "visit_id": "Visit",
    })
    kit.download(far, f"far_checkins_{filters.month:%Y-%m}", key="dl_far")
