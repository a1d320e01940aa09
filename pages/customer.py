"""Customer card page: one customer's file, revenue and gross profit over 24 months, tier and
lifecycle history, evaluation, visits, alerts and reps. Opened by choosing a customer here or
from a table on another page (``kit.open_customer``)."""

from datetime import date
from typing import Any

import plotly.graph_objects as go
import polars as pl
import streamlit as st
from plotly.subplots import make_subplots

from models.engines import planner
from models.i18n import MONEY_GRID
from models.i18n.frames import with_labels
from models.queries import customer_card, visit_records
from ui import kit
from ui.i18n import day_label, label, lang, money, month_label, percent, t

st.title(t("Customer card"))
user = kit.require_user()
wh = kit.warehouse()
filters = kit.current_filters(user)

TIER_LEVELS = ["C", "B", "A", "S"]
STAGE_LEVELS = ["prospect", "churned", "declining", "mature", "growing", "new"]
# d3 date formats of the charts' axes and hover labels (2026年11月 / Nov 2026).
MONTH_AXIS = t("%b %Y")
# Columns of codes the grids show by their labels (the frames keep the codes for downloads).
CODE_KINDS = {"visit_type": "visit_type", "outcome": "outcome", "severity": "severity",
              "purpose": "purpose"}
SOURCES = {"data": t("the data"), "assessment": t("an assessment")}
OUTCOME_COLOURS = {"order": "#2e7d32", "no_order": "#9e9e9e", "complaint": "#c62828",
                   "closed": "#6d4c41", "not_met": "#f9a825"}


def _choose() -> None:
    chosen_id = st.session_state.get("card_customer")
    if chosen_id:
        st.session_state[kit.CUSTOMER_KEY] = chosen_id
        st.query_params["customer"] = chosen_id


choices = kit.cached(customer_card.customer_choices, user.scope, filters)
selected = kit.selected_customer()
labels = {c: f"{n} ({c}) · {r}" for c, n, r in choices.iter_rows()}  # data: names, regions
options = list(labels)
if selected and selected not in labels:
    options.insert(0, selected)  # opened by a link: shown even when the filters leave it out
if not options:
    kit.empty(t("No customers for these filters. Widen the filters in the sidebar."))
    st.stop()
st.selectbox(t("Customer"), options, index=options.index(selected) if selected else None,
             format_func=lambda c: labels.get(c, c), key="card_customer", on_change=_choose,
             placeholder=t("Type a customer's name or id"),
             help=t("The customers of the sidebar's filters, by name."))
if not selected:
    st.info(t("Choose a customer to see its card."), icon=":material/storefront:")
    st.stop()

with kit.spinner(t("Loading the customer ...")):
    card = kit.cached(customer_card.load_card, user.scope, selected, filters.month)
if card is None:
    st.warning(t("There is no customer {customer} in the data you can see.",
                 customer=kit.md(repr(selected))),
               icon=":material/person_off:")
    st.stop()

info = card.file


def _value(v: Any, kind: str | None = None) -> str:
    """A value of the data as Markdown text (see kit.md); a code of ``kind`` by its label."""
    if v is None or v == "":
        return "–"
    if isinstance(v, bool):
        return t("yes") if v else t("no")
    if isinstance(v, date):
        return day_label(v)
    if kind:
        return kit.md(label(kind, v))
    return kit.md(str(v).replace("_", " "))


def _facts(title: str, rows: list[tuple[str, Any]]) -> None:
    st.markdown(f"**{title}**")
    st.markdown("\n".join(f"- {name}: **{_value(v)}**" for name, v in rows))


# --- header ----------------------------------------------------------------------------------

st.header(kit.md(f"{card.name} ({card.customer_id})"), anchor=False)
st.caption(" · ".join((_value(info["channel"], "channel"), _value(info["region"]),
                       _value(info["district"]))))
contact = [v for v in (info.get("contact_name"), info.get("phone")) if v]
st.markdown(t("Contact: {contact}", contact=" · ".join(kit.md(v) for v in contact))
            if contact else
            t("Contact: none on file (the customer master has no contact or phone)"))
links = st.columns(3)
call = planner.call_link(info.get("phone"))
if call:
    links[0].link_button(t("Call"), call, icon=":material/call:", use_container_width=True)
if info.get("latitude") is not None and info.get("longitude") is not None:
    links[1].link_button(t("Navigate"), planner.nav_link(info["latitude"], info["longitude"],
                                                      str(info["customer_name"] or "")),
                         icon=":material/directions:", use_container_width=True)
m = st.columns(6)
m[0].metric(t("Tier"), _value(info["tier"], "tier"),
            help=t("Tier in the as-of month (S key account, A, B, C)."))
m[1].metric(t("Lifecycle stage"), _value(info["lifecycle_stage"], "lifecycle_stage"))
m[2].metric(t("Revenue, 12 months"), money(info["revenue_12m"], 0))
m[3].metric(t("Avg monthly revenue"), money(info["avg_monthly_revenue"], 0),
            help=t("Over the tier window (the last 3 months by default)."))
m[4].metric(t("Evaluation score"), "–" if info["evaluation_score"] is None
            else f"{float(info['evaluation_score']):.0f} / 100")
m[5].metric(t("Open alerts"), f"{info['open_alert_count'] or 0:,}")
st.caption(t("Tier, stage and alerts are as of the build's as-of date ({day}); the charts below "
             "run to the sidebar's month ({month}).", day=_value(info.get("as_of_date")),
             month=month_label(filters.month)))

# --- the customer file -----------------------------------------------------------------------

st.subheader(t("Customer file"))
basic, credit, operating = st.columns(3, gap="large")
with basic:
    _facts(t("Basic"), [
        (t("Address"), info["address"]), (t("District"), info["district"]),
        (t("Channel"), label("channel", info["channel"]) if info["channel"] else None),
        (t("Opened"), info["opened_date"]),
        (t("Key account"), info["is_key_account"]),
        (t("Group purchase"), info["is_group_purchase"]),
        (t("Owner there"),
         f"{info['visit_window_start'] or '?'}-{info['visit_window_end'] or '?'}"),
    ])
with credit:
    headroom = card.scores.get("has_credit_headroom") if card.scores else None
    _facts(t("Credit"), [
        (t("Credit limit"), money(info["credit_limit"], 0) if info["credit_limit"] is not None
         else None),
        (t("Payment terms"), t("{n} days", n=info["payment_terms_days"])
         if info["payment_terms_days"] is not None else None),
        (t("Credit headroom"), headroom),
    ])
    st.caption(t("Headroom: the limit is above the estimated receivable (average monthly "
                 "revenue of 3 months x payment terms / 30)."))
with operating:
    _facts(t("Operating"), [
        (t("First order"), info["first_order_date"]),
        (t("Last order"), info["last_order_date"]),
        (t("Days since last order"), info["days_since_last_order"]),
        (t("Usual gap between orders"),
         t("{n} days", n=f"{float(info['median_order_gap_days']):.0f}")
         if info["median_order_gap_days"] is not None else None),
        (t("Last visit"), info["last_visit_date"]),
        (t("Next onsite visit due"), info["next_visit_due_date"]),
        (t("Priority"), label("quadrant", info["quadrant"]) if info["quadrant"] else None),
        (t("Potential checklist"), t("{n} of 7", n=info["potential_score"])
         if info["potential_score"] is not None else None),
    ])

# --- revenue ---------------------------------------------------------------------------------

months = card.months
first, last = months["month_start"][0], months["month_start"][-1]
span = t("{start} - {end}", start=month_label(first), end=month_label(last))
st.subheader(t("Revenue and gross profit"))
revenue_name, profit_name = t("Revenue"), t("Gross profit")
fig = go.Figure([
    go.Bar(name=revenue_name, x=months["month_start"].to_list(), y=months["revenue"].to_list(),
           marker_color="#4a90d9",
           hovertemplate=f"%{{x|{MONTH_AXIS}}}: ¥%{{y:,.0f}}<extra>{revenue_name}</extra>"),
    go.Scatter(name=profit_name, x=months["month_start"].to_list(),
               y=months["gross_profit"].to_list(), mode="lines+markers",
               line=dict(color="#2e7d32"),
               hovertemplate=f"%{{x|{MONTH_AXIS}}}: ¥%{{y:,.0f}}<extra>{profit_name}</extra>"),
])
fig.update_layout(title=t("Revenue and gross profit by month, {span}", span=span), height=340,
                  yaxis=dict(title=t("¥ per month"), tickprefix="¥", tickformat=",.0f"),
                  xaxis=dict(title=t("Month"), dtick="M3", tickformat=MONTH_AXIS),
                  legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"),
                  margin=dict(t=70, b=40))
kit.chart(fig, width="stretch")

# --- what they buy ---------------------------------------------------------------------------

st.subheader(t("What they buy"))
mix, top = card.category_mix(), card.top_skus()
if mix.is_empty():
    st.info(t("No orders in the last 6 months."))
else:
    buy_col, top_col = st.columns(2, gap="large")
    with buy_col:
        fig = go.Figure(go.Bar(x=mix["share"].to_list(),
                               y=kit.plot_text(mix["category"].to_list()), orientation="h",
                               marker_color="#4a90d9",
                               hovertemplate="%{y}: %{x:.0%}<extra></extra>"))
        fig.update_layout(title=t("Category mix, last 6 months (share of revenue)"), height=280,
                          xaxis=dict(title=t("Share of revenue"), tickformat=".0%"),
                          yaxis=dict(title=t("Category"), autorange="reversed"),
                          margin=dict(t=60, b=40))
        kit.chart(fig, width="stretch")
    with top_col:
        st.markdown(t("**Top products, last 6 months**"))
        kit.grid(kit.shown(top), hide_index=True, column_config={
            "sku": "SKU", "product_name": t("Product"), "category": t("Category"),
            "quantity": st.column_config.NumberColumn(t("Quantity"), format="%.0f"),
            "revenue": st.column_config.NumberColumn(t("Revenue (¥)"), **MONEY_GRID),
            "orders": t("Orders")})
last_order = card.last_order()
if not last_order.is_empty():
    st.markdown(t("**Last order {order}, {day}**", order=kit.md(last_order["order_id"][0]),
                  day=day_label(last_order["order_date"][0])))
    kit.grid(kit.shown(last_order.drop("order_id", "order_date")), hide_index=True,
             column_config={"line_number": t("Line"), "sku": "SKU", "product_name": t("Product"),
                            "quantity": st.column_config.NumberColumn(t("Quantity"),
                                                                      format="%.0f"),
                            "revenue": st.column_config.NumberColumn(t("Revenue (¥)"),
                                                                     **MONEY_GRID)})

# --- tier and lifecycle ----------------------------------------------------------------------

history_col, score_col = st.columns(2, gap="large")
with history_col:
    st.subheader(t("Tier and lifecycle stage"))
    known = months.filter(pl.col("tier").is_not_null() | pl.col("lifecycle_stage").is_not_null())
    if known.is_empty():
        st.info(t("No tier or stage yet in these months."))
    else:
        fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                            subplot_titles=(t("Tier"), t("Lifecycle stage")))
        x = known["month_start"].to_list()
        fig.add_trace(go.Scatter(x=x, y=known["tier"].to_list(), mode="lines+markers",
                                 line=dict(shape="hv", color="#1f5fa8"), name=t("Tier"),
                                 hovertemplate=t("%{{x|{month}}}: tier %{{y}}<extra></extra>",
                                                 month=MONTH_AXIS)),
                      row=1, col=1)
        stage_labels = [label("lifecycle_stage", s) if s else None
                        for s in known["lifecycle_stage"].to_list()]
        fig.add_trace(go.Scatter(x=x, y=stage_labels, mode="markers",
                                 marker=dict(size=9, color="#6d4c41"), name=t("Stage"),
                                 hovertemplate=f"%{{x|{MONTH_AXIS}}}: %{{y}}<extra></extra>"),
                      row=2, col=1)
        fig.update_yaxes(categoryorder="array", categoryarray=TIER_LEVELS, title_text=t("Tier"),
                         range=[-0.5, len(TIER_LEVELS) - 0.5], row=1, col=1)
        fig.update_yaxes(categoryorder="array",
                         categoryarray=[label("lifecycle_stage", s) for s in STAGE_LEVELS],
                         title_text=t("Stage"), range=[-0.5, len(STAGE_LEVELS) - 0.5], row=2,
                         col=1)
        fig.update_xaxes(title_text=t("Month"), tickformat=MONTH_AXIS, row=2, col=1)
        fig.update_layout(title=t("Tier and stage by month, {span}", span=span),
                          showlegend=False,
                          height=420, margin=dict(t=80, b=40))
        kit.chart(fig, width="stretch")
        moves = known.filter(pl.col("tier_move").is_in(["up", "down"]))
        if not moves.is_empty():
            st.caption(t("Tier moves: {moves}", moves=", ".join(
                f"{month_label(m)} {_value(p)}→{_value(now)}" for m, p, now in
                moves.select("month_start", "previous_tier", "tier").iter_rows())))

with score_col:
    st.subheader(t("Evaluation"))
    dims = card.dimension_scores(lang())
    if dims.is_empty():
        st.info(t("No evaluation yet: the customer has no order or visit."))
    else:
        names = dims["dimension"].to_list()
        scores = [s or 0 for s in dims["score"].to_list()]
        fig = go.Figure(go.Scatterpolar(r=scores + scores[:1], theta=names + names[:1],
                                        fill="toself", line=dict(color="#1f5fa8"),
                                        hovertemplate="%{theta}: %{r:.0f} / 100<extra></extra>"))
        fig.update_layout(title=t("Evaluation dimensions (percentile in region, 0-100)"),
                          polar=dict(radialaxis=dict(range=[0, 100], ticksuffix="")),
                          showlegend=False, height=420, margin=dict(t=80, b=30, l=90, r=90))
        kit.chart(fig, width="stretch")
        s = card.scores or {}
        st.caption(t("Evaluation score {score} / 100 · priority {priority} · service need "
                     "{hours} h of visits in 90 days",
                     score=f"{float(s['evaluation_score']):.0f}",
                     priority=_value(s.get("quadrant"), "quadrant"),
                     hours=f"{float(s.get('service_need_hours') or 0):.1f}"))
        with st.expander(t("Potential checklist: {n} of 7", n=s.get("potential_score", 0))):
            checklist = card.checklist(lang())
            kit.grid(checklist.with_columns(pl.col("source").replace_strict(
                         SOURCES, default=pl.col("source"), return_dtype=pl.String)),
                     hide_index=True, column_config={
                "criterion": t("Criterion"), "met": st.column_config.CheckboxColumn(t("Met")),
                "source": st.column_config.TextColumn(t("Answered from"))})

# --- visits ----------------------------------------------------------------------------------

st.subheader(t("Visits"))
visits = card.visits
fresh = visit_records.recent(customer_id=card.customer_id)
if user.scope.role == "rep":
    fresh = fresh.filter(pl.col("rep_id") == user.scope.rep_id)
fresh = fresh.filter(~pl.col("visit_id").is_in(visits["visit_id"].to_list()))  # not yet built
noted = pl.concat([
    fresh.select(pl.col("started_at").dt.date().alias("visit_date"), "purpose", "outcome",
                 "notes", "next_step", pl.lit(True).alias("is_new")),
    visits.select("visit_date", "purpose", "outcome", "notes", "next_step",
                  pl.lit(False).alias("is_new")),
]).filter(pl.col("notes").is_not_null() | pl.col("next_step").is_not_null())
if noted.height:
    st.markdown(t("**Visit notes** (newest first)"))
    for v in noted.head(8).iter_rows(named=True):
        new = t(" · new, counts after the next build") if v["is_new"] else ""
        st.markdown(f"{_value(v['visit_date'])} · {_value(v['purpose'], 'purpose')} · "
                    f"{_value(v['outcome'], 'outcome')}{new}  \n{kit.md(v['notes'] or '')}"
                    + ("  \n" + t("Next step: {step}", step=kit.md(v["next_step"]))
                       if v["next_step"] else ""))
if visits.is_empty():
    st.info(t("No visits since {month}.", month=month_label(first)))
else:
    fig = go.Figure()
    for outcome, colour in OUTCOME_COLOURS.items():
        part = visits.filter(pl.col("outcome") == outcome)
        if part.is_empty():
            continue
        fig.add_trace(go.Scatter(
            x=part["started_at"].to_list(), y=part["relationship_level"].to_list(),
            mode="markers", name=label("outcome", outcome),
            marker=dict(color=colour, size=10, line=dict(width=1, color="white"),
                        symbol=["circle" if t == "onsite" else "diamond-open"
                                for t in part["visit_type"]]),
            customdata=list(zip(kit.plot_text(part["rep_name"].to_list()),
                                [label("visit_type", v) for v in part["visit_type"]],
                                part["duration_min"].fill_null(0))),
            hovertemplate=t("%{{x|%Y-%m-%d %H:%M}} · %{{customdata[1]}} by %{{customdata[0]}}, "
                            "%{{customdata[2]}} min<br>relationship %{{y}}"
                            "<extra>%{{fullData.name}}</extra>")))
    fig.update_layout(title=t("Visits since {month}: outcome and relationship level (circle "
                              "onsite, diamond phone)", month=month_label(first)), height=320,
                      yaxis=dict(title=t("Relationship level (1 acquainted - 5 trusted)"),
                                 range=[0.5, 5.5], dtick=1),
                      xaxis=dict(title=t("Visit date"), tickformat="%Y-%m-%d"),
                      legend_title_text=t("Outcome"),
                      margin=dict(t=60, b=40))
    kit.chart(fig, width="stretch")
    with st.expander(t("The {n} visits", n=f"{len(visits):,}")):
        shown = visits.drop("started_at")
        kit.grid(with_labels(shown, CODE_KINDS, lang()), hide_index=True, column_config={
            "visit_date": st.column_config.DateColumn(t("Date")), "rep_id": t("Rep ID"),
            "rep_name": t("Rep"), "visit_type": t("Type"),
            "duration_min": st.column_config.NumberColumn(t("Minutes")),
            "purpose": t("Purpose"), "outcome": t("Outcome"),
            "notes": t("Notes"), "next_step": t("Next step"),
            "follow_up_date": st.column_config.DateColumn(t("Follow-up date")),
            "relationship_level": st.column_config.NumberColumn(t("Relationship (1-5)")),
            "checkin_distance_km": st.column_config.NumberColumn(t("Check-in distance (km)"),
                                                                 format="%.2f"),
            "is_far_checkin": st.column_config.CheckboxColumn(t("Far check-in")),
            "visit_id": t("Visit ID")})
        kit.download(shown, t("visits_{customer}", customer=card.customer_id),
                     label=t("Download visits"))

# --- alerts and reps -------------------------------------------------------------------------

alert_col, rep_col = st.columns(2, gap="large")
with alert_col:
    st.subheader(t("Open alerts"))
    if card.alerts.is_empty():
        st.success(t("No open alerts."), icon=":material/check_circle:")
    else:
        alerts = card.alerts.with_columns(pl.col("alert_type").alias("alert"))
        kit.grid(with_labels(alerts, {**CODE_KINDS, "alert": "alert_type"}, lang())
                 .drop("alert_type"), hide_index=True, column_config={
            "alert": t("Alert"), "severity": t("Severity"),
            "since_date": st.column_config.DateColumn(t("Since")),
            "detail": st.column_config.TextColumn(t("Detail"), width="large")})
with rep_col:
    st.subheader(t("Reps"))
    rows = [(t("Developer (opened the account)"), info["developer_rep_name"],
             info["developer_rep_id"]),
            (t("Maintainer (serves it now)"), info["maintainer_rep_name"],
             info["maintainer_rep_id"])]
    st.markdown("\n".join(f"- {role}: **{_value(name)}** ({_value(rep)})" if rep else
                          f"- {role}: " + t("not recorded") for role, name, rep in rows))
    book = card.maintainer_book
    if book:
        st.caption(t("{rep}'s book: {customers} customers, {revenue} in 12 months, {coverage} "
                     "visited per policy.", rep=_value(book["rep_name"]),
                     customers=f"{book['customers']:,}", revenue=money(book["revenue_12m"], 0),
                     coverage=percent(book["coverage_rate"], 0)))

st.divider()
kit.download(months, t("customer_{customer}_months", customer=card.customer_id),
             label=t("Download the monthly history ({span})", span=span))
