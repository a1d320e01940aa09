"""Overview page: the figures a sales manager opens every morning (revenue against last year,
customers by stage, tier mix, visit compliance) and the open alerts, each row leading to the
customer's card."""

from datetime import date

import plotly.graph_objects as go
import polars as pl
import streamlit as st
from plotly.subplots import make_subplots

from models.queries import attribution, overview, visits
from models.core.clock import add_months
from ui import kit
from ui.i18n import day_label, label, month_label, t

st.title(t("Overview"))
user = kit.require_user()
wh = kit.warehouse()
filters = kit.current_filters(user)

TIER_COLOURS = {"S": "#1f5fa8", "A": "#4a90d9", "B": "#9cc3ea", "C": "#d3dce6"}


with kit.spinner(t("Loading the overview ...")):
    counts = kit.cached(overview.customer_counts, user.scope, filters)
    tiers = kit.cached(overview.tier_mix, user.scope, filters)
    compliance = kit.cached(overview.visit_compliance, user.scope, filters)
    alerts = kit.cached(overview.alerts, user.scope, filters)

st.caption(t("{filters} · you see {scope}", filters=kit.md(kit.describe_filters(filters)),
             scope=kit.md(kit.describe_scope(user.scope))))
if counts.total == 0:
    kit.empty()
    st.stop()

month_text = month_label(filters.month)
previous_text = kit.month_name(add_months(filters.month, -1))


def period_label(index: int, period: overview.PeriodRevenue) -> str:
    """The name of a period of revenue_summary: the month, its quarter to date, its year to
    date."""
    month = period.last_month
    if index == 0:
        return month_label(month)
    if index == 1:
        return t("Q{quarter} {year} to date", quarter=(month.month - 1) // 3 + 1, year=month.year)
    return t("{year} to date", year=month.year)


def prior_label(period: overview.PeriodRevenue) -> str:
    """The year-ago months of a period."""
    return kit.month_span(add_months(period.first_month, -12), add_months(period.last_month, -12))


# --- revenue ---------------------------------------------------------------------------------

st.subheader(t("Revenue against the same months last year"))
view = kit.attribution_view("overview_revenue_view")
with kit.spinner(t("Loading revenue ...")):
    revenue = kit.cached(overview.revenue_summary, user.scope, filters, view)
if filters.region or filters.rep_id:
    st.caption(t("The region and rep filters are taken {view}",
                 view=kit.md(kit.attribution_describe(view))))
for index, (column, period) in enumerate(zip(st.columns(3), revenue.periods)):
    with column:
        before = prior_label(period)
        if period.change is not None:
            delta = t("{change} vs {period}", change=f"{period.change * 100:+.1f} %",
                      period=before)
        elif period.prior_revenue is None:
            delta = None
        else:
            delta = t("no revenue in {period}", period=before)
        st.metric(t("Revenue {period}", period=period_label(index, period)),
                  kit.headline_money(period.revenue), delta=delta,
                  delta_color="normal" if period.change is not None else "off",
                  help=t("{exact}, net of returns, {first} to {last}; a year earlier ({period}): "
                         "{prior}.", exact=kit.money(period.revenue, 2),
                         first=month_label(period.first_month),
                         last=month_label(period.last_month), period=before,
                         prior=kit.money(period.prior_revenue, 2)))
        if period.prior_gross_profit is None:
            st.caption(t("Gross profit {profit}", profit=kit.money(period.gross_profit)))
        else:
            st.caption(t("Gross profit {profit} ({prior} a year earlier)",
                         profit=kit.money(period.gross_profit),
                         prior=kit.money(period.prior_gross_profit)))
        if period.prior_revenue is None:
            st.caption(t("No comparison: the warehouse starts in {month}.",
                         month=month_label(revenue.first_month)))
if revenue.periods and revenue.periods[0].is_partial:
    st.warning(t("{month} is still running (data to {day}): its figures are month to date, "
                 "compared with whole months a year earlier.", month=month_text,
                 day=day_label(revenue.as_of_date)),
               icon=":material/schedule:")

# --- customers -------------------------------------------------------------------------------

st.subheader(t("Customers in {month}", month=month_text))
kinds = [
    ("active", t("Active"), "normal", t("Customers that are neither churned nor prospects "
                                        "(they ordered within the churn limit).")),
    ("new", t("New"), "normal", t("First order in the last few months (lifecycle stage new).")),
    ("declining", t("Declining"), "inverse", t("Revenue of the last 3 months down against the "
                                               "3 before, or no order for a while.")),
    ("churned", t("Churned"), "inverse", t("No order for the churn limit or longer.")),
]
for column, (kind, name, colour, help_text) in zip(st.columns(4), kinds):
    now, before = counts.count(kind), counts.count(kind, previous=True)
    column.metric(name, f"{now:,}",
                  delta=t("{change} vs {month}", change=f"{now - before:+,}",
                          month=previous_text),
                  delta_color=colour if now != before else "off", help=help_text)
st.caption(t("{total} customers with activity so far; {prospects} prospects (visited, never "
             "ordered).", total=f"{counts.total:,}", prospects=f"{counts.count('prospect'):,}"))

# --- tiers and visits ------------------------------------------------------------------------

tier_col, visit_col = st.columns(2, gap="large")
with tier_col:
    st.subheader(t("Tier mix"))
    if tiers.is_empty():
        kit.empty(t("No tiers for these customers in this month."))
    else:
        customers_title, revenue_title = t("Customers"), t("Revenue (¥)")
        fig = make_subplots(rows=1, cols=2, subplot_titles=(customers_title, revenue_title),
                            horizontal_spacing=0.22)
        colours = [TIER_COLOURS[tier] for tier in tiers["tier"]]
        fig.add_trace(go.Bar(x=tiers["tier"].to_list(), y=tiers["customers"].to_list(),
                             marker_color=colours, name=customers_title, textangle=0,
                             text=[f"{n:,}" for n in tiers["customers"]],
                             hovertemplate=t("Tier {tier}: {customers} customers", tier="%{x}",
                                             customers="%{y:,}") + "<extra></extra>"),
                      row=1, col=1)
        fig.add_trace(go.Bar(x=tiers["tier"].to_list(), y=tiers["revenue"].to_list(),
                             marker_color=colours, name=t("Revenue"), textangle=0,
                             text=[kit.pct(share, 0) for share in tiers["revenue_share"]],
                             hovertemplate=t("Tier {tier}: {revenue}", tier="%{x}",
                                             revenue="¥%{y:,.0f}") + "<extra></extra>"),
                      row=1, col=2)
        fig.update_yaxes(title_text=customers_title, row=1, col=1)
        fig.update_yaxes(title_text=revenue_title, tickprefix="¥", tickformat=",.0f", row=1,
                         col=2)
        fig.update_xaxes(title_text=t("Tier"))
        fig.update_layout(title=t("Customers and revenue by tier, {month}", month=month_text),
                          showlegend=False, height=340, margin=dict(t=70, b=40))
        kit.chart(fig, width="stretch")

with visit_col:
    st.subheader(t("Visit compliance"))
    if not visits.visits_loaded(wh):
        st.info(kit.no_visits_text())
    elif compliance is None:
        kit.empty(t("No visit compliance for {month}: it is kept for the last 12 months.",
                    month=month_text))
    else:
        a, b = st.columns(2)
        a.metric(t("Visits made / required"), kit.pct(compliance.fulfilment_rate, 0),
                 help=t("{done} onsite visits made against {required} the visit policy "
                        "requires in the weeks starting in {month}.",
                        done=f"{compliance.done_visits:,}",
                        required=f"{compliance.required_visits:,.0f}", month=month_text))
        b.metric(t("Customer-weeks on policy"), kit.pct(compliance.compliant_week_share, 0),
                 help=t("{met} of {weeks} customer-weeks met the visit policy.",
                        met=f"{compliance.compliant_customer_weeks:,}",
                        weeks=f"{compliance.customer_weeks:,}"))
        by_tier = compliance.by_tier
        policy_tiers = [label("tier", tier) for tier in by_tier["policy_tier"]]
        fig = go.Figure([
            go.Bar(name=t("Required"), x=policy_tiers,
                   y=by_tier["required_visits"].to_list(), marker_color="#d3dce6",
                   hovertemplate=t("{tier}: {visits} required", tier="%{x}",
                                   visits="%{y:,.1f}") + "<extra></extra>"),
            go.Bar(name=t("Made"), x=policy_tiers,
                   y=by_tier["done_visits"].to_list(), marker_color="#1f5fa8",
                   hovertemplate=t("{tier}: {visits} made", tier="%{x}", visits="%{y:,}")
                   + "<extra></extra>"),
        ])
        fig.update_layout(title=t("Onsite visits by tier, weeks of {month}", month=month_text),
                          barmode="group", height=260, margin=dict(t=50, b=40),
                          xaxis_title=t("Visit policy (tier)"), yaxis_title=t("Onsite visits"),
                          legend=dict(orientation="h", y=1.02, x=1, xanchor="right",
                                      yanchor="bottom"))
        kit.chart(fig, width="stretch")

# --- alerts ----------------------------------------------------------------------------------

as_of = revenue.as_of_date
st.subheader(t("Open alerts on {day}", day=day_label(as_of)) if isinstance(as_of, date)
             else t("Open alerts"))
if alerts.is_empty():
    st.success(t("No open alerts for these customers."), icon=":material/check_circle:")
else:
    by_type = alerts.group_by("alert_type").len().sort("len", descending=True)
    st.caption(t("{counts}. Select a row to open the customer's card.",
                 counts=" · ".join(f"{label('alert_type', code)}: {n:,}"
                                   for code, n in by_type.iter_rows())))
    # Codes stay codes in the data; the grid shows their labels in display columns.
    shown = alerts.drop("alert_type")
    table = kit.with_labels(alerts, {"alert_type": "alert_type", "severity": "severity",
                                     "lifecycle_stage": "lifecycle_stage"}).select(
        "customer_id", "customer_name", "alert_type_label", "severity_label", "since_date",
        "detail", "tier", "lifecycle_stage_label", "region", "maintainer_rep_name",
        "last_order_date", "revenue_12m", "alert", "severity", "lifecycle_stage", "alert_type")
    kit.customer_table(table, key="overview_alerts", height=min(38 + 35 * len(shown), 420),
                       column_config={
                           "customer_id": st.column_config.TextColumn(t("Customer ID")),
                           "customer_name": st.column_config.TextColumn(t("Customer")),
                           "alert_type_label": st.column_config.TextColumn(t("Alert")),
                           "alert": None,
                           "severity": None,
                           "severity_label": st.column_config.TextColumn(t("Severity")),
                           "since_date": st.column_config.DateColumn(t("Since")),
                           "detail": st.column_config.TextColumn(t("Detail"), width="large"),
                           "tier": st.column_config.TextColumn(t("Tier")),
                           "lifecycle_stage": None,
                           "lifecycle_stage_label": st.column_config.TextColumn(t("Stage")),
                           "region": st.column_config.TextColumn(t("Region")),
                           "maintainer_rep_name": st.column_config.TextColumn(t("Rep")),
                           "last_order_date": st.column_config.DateColumn(t("Last order")),
                           "revenue_12m": kit.money_column(t("Revenue, 12 months")),
                           "alert_type": None,
                       })
    names = dict(zip(alerts["customer_id"], alerts["customer_name"]))
    pick, go_button, download = st.columns([3, 1, 1], vertical_alignment="bottom")
    chosen_id = pick.selectbox(t("Or choose a customer with an alert"), list(names),
                               format_func=lambda c: f"{names[c]} ({c})",
                               key="overview_alert_customer")
    if go_button.button(t("Open card"), icon=":material/storefront:", key="overview_open_card"):
        kit.open_customer(chosen_id)
    with download:
        kit.download(shown, t("alerts_{month}", month=f"{filters.month:%Y_%m}"),
                     label=t("Download alerts"), key="dl_alerts")

with st.expander(t("The figures above as a table")):
    summary = revenue.frame().with_columns(
        pl.Series("period", [period_label(i, p) for i, p in enumerate(revenue.periods)],
                  dtype=pl.String),
        pl.Series("year_ago_period", [prior_label(p) for p in revenue.periods],
                  dtype=pl.String))
    kit.grid(summary, hide_index=True, column_config={
        "period": t("Period"),
        "first_month": st.column_config.DateColumn(t("From"), format=kit.month_grid_format()),
        "last_month": st.column_config.DateColumn(t("To"), format=kit.month_grid_format()),
        "revenue": kit.money_column(t("Revenue")),
        "gross_profit": kit.money_column(t("Gross profit")),
        "year_ago_period": t("Year-ago months"),
        "year_ago_revenue": kit.money_column(t("Revenue a year earlier")),
        "year_ago_gross_profit": kit.money_column(t("Gross profit a year earlier")),
        "revenue_change": kit.pct_column(t("Change")),
    })
    kit.download(summary, t("revenue_{month}", month=f"{filters.month:%Y_%m}"),
                 label=t("Download revenue"), key="dl_revenue")

# --- revenue by region and rep ---------------------------------------------------------------

year_start = date(filters.month.year, 1, 1)
by_region = kit.cached(attribution.revenue_by_region, user.scope, filters, year_start,
                       filters.month)
by_rep = kit.cached(attribution.revenue_by_rep, user.scope, filters, year_start, filters.month)
year_label = kit.month_span(year_start, filters.month)
with st.expander(t("Revenue by region and by rep, {months}: as booked and in the current book",
                   months=year_label)):
    st.caption(t("As booked: the region and rep that had the customer on each order date. "
                 "Current book: the region and rep that have the customer today. They differ "
                 "only for customers that moved. Orders taken: by the rep on the order itself. "
                 "Every region and rep is listed (the region and rep filters are not applied)."))
    region_col, rep_col = st.columns(2, gap="large")
    with region_col:
        kit.grid(by_region, hide_index=True, key="overview_by_region", column_config={
            "region": t("Region"), "booked": kit.money_column(t("As booked")),
            "current": kit.money_column(t("Current book")),
            "difference": kit.money_column(t("As booked - current book"))})
        kit.download(by_region, t("revenue_by_region_{month}", month=f"{filters.month:%Y_%m}"),
                     label=t("Download by region"), key="dl_by_region")
    with rep_col:
        kit.grid(by_rep, hide_index=True, key="overview_by_rep", column_config={
            "rep_id": t("Rep ID"), "rep_name": t("Rep"), "region": t("Rep's region"),
            "booked": kit.money_column(t("As booked")),
            "current": kit.money_column(t("Current book")),
            "taken": kit.money_column(t("Orders taken"))})
        kit.download(by_rep, t("revenue_by_rep_{month}", month=f"{filters.month:%Y_%m}"),
                     label=t("Download by rep"), key="dl_by_rep")
