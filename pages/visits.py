"""Visits page: are customers visited as the policy of their tier asks? Compliance by rep and by
tier, the customers due or overdue for an onsite visit, visits per day and rep activity, and
check-ins far from the customer. Rows open the customer's card."""

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from models.i18n.frames import with_labels
from models.queries import visits
from ui import kit
from ui.i18n import day_label, label, lang, month_label, percent, t

st.title(t("Visits"))
user = kit.require_user()
wh = kit.warehouse()
filters = kit.current_filters(user)

# Columns of codes the grids show by their labels (the frames keep the codes for downloads).
CODE_KINDS = {"policy_tier": "tier", "lifecycle_stage": "lifecycle_stage", "outcome": "outcome"}
COMPLIANCE_COLUMNS = {
    "rep_id": t("Rep code"),
    "rep_name": t("Rep"),
    "policy_tier": t("Policy (tier)"),
    "customers": t("Customers"),
    "required_visits": st.column_config.NumberColumn(t("Required onsite visits"), format="%.1f"),
    "done_visits": t("Onsite visits made"),
    "fulfilment_rate": kit.pct_column(t("Done / required")),
    "compliant_week_share": kit.pct_column(t("Weeks on policy")),
    "overdue_customers": t("Overdue at month end"),
}


if not visits.visits_loaded(wh):
    st.info(visits.no_visits(lang()))
    st.stop()

with kit.spinner(t("Loading visits ...")):
    weeks = kit.cached(visits.compliance_weeks, user.scope, filters)
    due = kit.cached(visits.overdue, user.scope, filters)
    month_visits = kit.cached(visits.month_visits, user.scope, filters)

month = month_label(filters.month)
st.caption(t("{filters} · you see {scope} · compliance: onsite visits in the weeks starting in "
             "{month} against the visit policy of each customer's tier",
             filters=kit.md(filters.describe(lang())), scope=kit.md(user.scope.describe(lang())),
             month=month))
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
cols[0].metric(t("Weeks on policy"),
               percent(weeks["is_compliant"].cast(pl.Float64).mean()) if weeks.height else "–",
               help=t("Share of customer-weeks whose policy window had the visits required."))
cols[1].metric(t("S/A overdue"), f"{int(due['is_sa_overdue'].sum()) if due.height else 0:,}",
               help=t("S and A customers past their onsite visit due date: the customers of the "
                      "Overview's \"S/A visit overdue\" alerts."))
cols[2].metric(t("Due or overdue now"), f"{due.height:,}",
               help=t("Customers whose next onsite visit is due on or before the build's as-of "
                      "date."))
cols[3].metric(t("Onsite visits made / required"), f"{done:,} / {required:,.0f}",
               help=t("Weeks starting in {month}, selected customers.", month=month))
cols[4].metric(t("Far check-ins in {month}", month=month), f"{far.height:,}")

# --- compliance ------------------------------------------------------------------------------

st.subheader(t("Compliance by rep"))
if by_rep.height == 0:
    kit.empty(t("No customer-weeks in {month} for these filters.", month=month))
else:
    # Weeks on policy and overdue customers lead: visits made / required averages over the
    # book, so a rep who over-visits a few customers looks fine while others go unvisited.
    ranked = by_rep.sort(["compliant_week_share", "rep_id"], nulls_last=True)
    names = [kit.plot_text(f"{n} ({r})") for r, n in zip(ranked["rep_id"], ranked["rep_name"])]
    rep_fig = go.Figure(go.Bar(
        x=(ranked["compliant_week_share"] * 100).to_list(), y=names, orientation="h",
        marker_color="#4a90d9",
        text=[t("{n} overdue", n=o) for o in ranked["overdue_customers"].to_list()],
        textposition="auto",
        customdata=list(zip(ranked["overdue_customers"].to_list(),
                            (ranked["fulfilment_rate"] * 100).fill_null(0).to_list())),
        hovertemplate=t("%{{y}}: %{{x:.0f}} % of customer-weeks on policy, %{{customdata[0]}} "
                        "customers overdue (visits made / required %{{customdata[1]:.0f}} %)"
                        "<extra></extra>")))
    rep_fig.update_layout(
        title=t("Weeks on policy by rep, {month} (label: customers overdue)", month=month),
        xaxis=dict(title=t("Customer-weeks on policy (%)"), range=[0, 100]),
        yaxis_title=t("Rep"),
        height=max(300, 28 * ranked.height + 120), margin={"t": 60, "b": 40})
    kit.chart(rep_fig, key="visits_by_rep_chart")
    trend = kit.cached(visits.compliance_trend, user.scope, filters)
    if trend.height:
        trend_fig = go.Figure()
        for (rid, rname), part in trend.group_by(["rep_id", "rep_name"], maintain_order=True):
            trend_fig.add_trace(go.Scatter(
                x=[month_label(m) for m in part["month_start"].to_list()],
                y=(part["compliant_week_share"].cast(pl.Float64) * 100).to_list(),
                mode="lines+markers", name=kit.plot_text(f"{rname} ({rid})"),
                hovertemplate="%{x}: %{y:.0f} %<extra>%{fullData.name}</extra>"))
        trend_fig.update_layout(
            title=t("Weeks on policy by rep, the {n} months to {month}",
                    n=visits.TREND_MONTHS, month=month),
            xaxis=dict(title=t("Month"), type="category"),
            yaxis=dict(title=t("Customer-weeks on policy (%)"), range=[0, 100]),
            height=380, margin={"t": 60, "b": 40}, legend_title_text=t("Rep"))
        kit.chart(trend_fig, key="visits_trend_chart")
    kit.grid(by_rep, hide_index=True, column_config=COMPLIANCE_COLUMNS,
                 key="visits_by_rep")
    kit.download(by_rep, t("visit_compliance_by_rep_{month}", month=f"{filters.month:%Y-%m}"),
                 key="dl_by_rep")

st.subheader(t("Compliance by tier"))
if by_tier.height == 0:
    kit.empty(t("No customer-weeks in {month} for these filters.", month=month))
else:
    kit.grid(with_labels(by_tier, CODE_KINDS, lang()), hide_index=True,
             column_config=COMPLIANCE_COLUMNS, key="visits_by_tier")
    kit.download(by_tier, t("visit_compliance_by_tier_{month}",
                            month=f"{filters.month:%Y-%m}"), key="dl_by_tier")

# --- overdue ---------------------------------------------------------------------------------

st.subheader(t("Due or overdue customers"))
if due.height == 0:
    kit.empty(t("No selected customer is due for an onsite visit."))
else:
    st.caption(t("As of {day} (the build's as-of date): S and A customers first, then the most "
                 "days overdue. Select a row to open the card.",
                 day=day_label(due["as_of_date"][0])))
    due_table = due.select("customer_id", "customer_name", "tier", "is_must_visit",
                           "days_overdue", "last_onsite_visit_date", "next_visit_due_date",
                           "visit_interval_days", "lifecycle_stage", "maintainer_rep_name")
    kit.customer_table(with_labels(due_table, CODE_KINDS, lang()), key="visits_overdue",
                       height=360, column_config={
        "customer_id": t("Customer code"),
        "customer_name": t("Customer"),
        "tier": t("Tier"),
        "is_must_visit": st.column_config.CheckboxColumn(t("Must visit (S/A)")),
        "days_overdue": t("Days overdue"),
        "last_onsite_visit_date": st.column_config.DateColumn(t("Last onsite visit")),
        "next_visit_due_date": st.column_config.DateColumn(t("Due since")),
        "visit_interval_days": t("Policy interval (days)"),
        "lifecycle_stage": t("Stage"),
        "maintainer_rep_name": t("Rep"),
    })
    kit.download(due_table, t("visits_due"), key="dl_due")

# --- visits per day --------------------------------------------------------------------------

st.subheader(t("Visits per day"))
if month_visits.height == 0:
    kit.empty(t("No visits in {month} for these filters.", month=month))
else:
    daily = visits.visits_per_day(month_visits)
    days = [day_label(d) for d in daily["visit_date"].to_list()]
    onsite, phone = label("visit_type", "onsite"), label("visit_type", "phone")
    day_fig = go.Figure([
        go.Bar(x=days, y=daily["onsite"].to_list(), name=onsite, marker_color="#1f5fa8",
               hovertemplate=f"%{{x}}: %{{y}} {onsite}<extra></extra>"),
        go.Bar(x=days, y=daily["phone"].to_list(), name=phone, marker_color="#9cc3ea",
               hovertemplate=f"%{{x}}: %{{y}} {phone}<extra></extra>"),
    ])
    day_fig.update_layout(barmode="stack", title=t("Visits per day, {month}", month=month),
                          xaxis_title=t("Day"), yaxis_title=t("Visits (count)"),
                          xaxis_type="category", legend_title_text=t("Type"), height=360,
                          margin={"t": 60, "b": 40})
    kit.chart(day_fig, key="visits_per_day_chart")
    activity = visits.rep_activity(month_visits)
    kit.grid(activity, hide_index=True, key="visits_rep_activity", column_config={
        "rep_id": t("Rep code"),
        "rep_name": t("Rep"),
        "visits": t("Visits"),
        "onsite_visits": label("visit_type", "onsite"),
        "working_days": t("Days with visits"),
        "avg_minutes": st.column_config.NumberColumn(t("Average minutes"), format="%.0f"),
        "order_share": kit.pct_column(t("With an order")),
        "far_checkins": t("Far check-ins"),
        "visits_per_day": st.column_config.NumberColumn(t("Visits per day"), format="%.1f"),
    })
    kit.download(activity, t("rep_activity_{month}", month=f"{filters.month:%Y-%m}"),
                 key="dl_activity")

# --- far check-ins ---------------------------------------------------------------------------

st.subheader(t("Far check-ins"))
if far.height == 0:
    kit.empty(t("No far check-ins in {month} for these filters.", month=month))
else:
    st.caption(t("Onsite check-ins farther from the customer's address than the limit the data "
                 "team set, farthest first."))
    kit.customer_table(with_labels(far, CODE_KINDS, lang()), key="visits_far", height=300,
                       column_config={
        "visit_date": st.column_config.DateColumn(t("Day")),
        "rep_id": t("Rep code"),
        "rep_name": t("Rep"),
        "customer_id": t("Customer code"),
        "customer_name": t("Customer"),
        "checkin_distance_km": st.column_config.NumberColumn(t("Distance (km)"), format="%.2f"),
        "outcome": t("Outcome"),
        "visit_id": t("Visit"),
    })
    kit.download(far, t("far_checkins_{month}", month=f"{filters.month:%Y-%m}"), key="dl_far")
