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
from models.queries import customer_card, visit_records
from ui import kit

st.title("Customer card")
user = kit.require_user()
wh = kit.warehouse()
filters = kit.current_filters(user)

TIER_LEVELS = ["C", "B", "A", "S"]
STAGE_LEVELS = ["prospect", "churned", "declining", "mature", "growing", "new"]
OUTCOME_COLOURS = {"order": "#2e7d32", "no_order": "#9e9e9e", "complaint": "#c62828",
                   "closed": "#6d4c41", "not_met": "#f9a825"}


def _choose() -> None:
    chosen_id = st.session_state.get("card_customer")
    if chosen_id:
        st.session_state[kit.CUSTOMER_KEY] = chosen_id
        st.query_params["customer"] = chosen_id


choices = kit.cached(customer_card.customer_choices, user.scope, filters)
selected = kit.selected_customer()
labels = {c: f"{n} ({c}) · {r}" for c, n, r in choices.iter_rows()}
options = list(labels)
if selected and selected not in labels:
    options.insert(0, selected)  # opened by a link: shown even when the filters leave it out
if not options:
    kit.empty("No customers for these filters. Widen the filters in the sidebar.")
    st.stop()
st.selectbox("Customer", options, index=options.index(selected) if selected else None,
             format_func=lambda c: labels.get(c, c), key="card_customer", on_change=_choose,
             placeholder="Type a customer's name or id",
             help="The customers of the sidebar's filters, by name.")
if not selected:
    st.info("Choose a customer to see its card.", icon=":material/storefront:")
    st.stop()

with kit.spinner("Loading the customer ..."):
    card = kit.cached(customer_card.load_card, user.scope, selected, filters.month)
if card is None:
    st.warning(f"There is no customer {kit.md(repr(selected))} in the data you can see.",
               icon=":material/person_off:")
    st.stop()

info = card.file


def _value(v: Any) -> str:
    """A value of the data as Markdown text (see kit.md)."""
    if v is None or v == "":
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, date):
        return f"{v:%d %b %Y}"
    return kit.md(str(v).replace("_", " "))


def _facts(title: str, rows: list[tuple[str, Any]]) -> None:
    st.markdown(f"**{title}**")
    st.markdown("\n".join(f"- {label}: **{_value(v)}**" for label, v in rows))


# --- header ----------------------------------------------------------------------------------

st.header(kit.md(f"{card.name} ({card.customer_id})"), anchor=False)
st.caption(" · ".join(_value(v) for v in (info["channel"], info["region"], info["district"])))
contact = [v for v in (info.get("contact_name"), info.get("phone")) if v]
st.markdown("Contact: " + (" · ".join(kit.md(v) for v in contact) if contact
                           else "none on file (the customer master has no contact or phone)"))
links = st.columns(3)
call = planner.call_link(info.get("phone"))
if call:
    links[0].link_button("Call", call, icon=":material/call:", use_container_width=True)
if info.get("latitude") is not None and info.get("longitude") is not None:
    links[1].link_button("Navigate", planner.nav_link(info["latitude"], info["longitude"],
                                                      str(info["customer_name"] or "")),
                         icon=":material/directions:", use_container_width=True)
m = st.columns(6)
m[0].metric("Tier", _value(info["tier"]), help="Tier in the as-of month (S key account, A, B, C).")
m[1].metric("Lifecycle stage", _value(info["lifecycle_stage"]))
m[2].metric("Revenue, 12 months", kit.money(info["revenue_12m"]))
m[3].metric("Avg monthly revenue", kit.money(info["avg_monthly_revenue"]),
            help="Over the tier window (the last 3 months by default).")
m[4].metric("Evaluation score", "–" if info["evaluation_score"] is None
            else f"{float(info['evaluation_score']):.0f} / 100")
m[5].metric("Open alerts", f"{info['open_alert_count'] or 0:,}")
st.caption(f"Tier, stage and alerts are as of the build's as-of date "
           f"({_value(info.get('as_of_date'))}); the charts below run to the sidebar's month "
           f"({filters.month:%b %Y}).")

# --- the customer file -----------------------------------------------------------------------

st.subheader("Customer file")
basic, credit, operating = st.columns(3, gap="large")
with basic:
    _facts("Basic", [
        ("Address", info["address"]), ("District", info["district"]),
        ("Channel", info["channel"]), ("Opened", info["opened_date"]),
        ("Key account", info["is_key_account"]), ("Group purchase", info["is_group_purchase"]),
        ("Owner there", f"{info['visit_window_start'] or '?'}-{info['visit_window_end'] or '?'}"),
    ])
with credit:
    headroom = card.scores.get("has_credit_headroom") if card.scores else None
    _facts("Credit", [
        ("Credit limit", kit.money(info["credit_limit"]) if info["credit_limit"] is not None
         else None),
        ("Payment terms", f"{info['payment_terms_days']} days"
         if info["payment_terms_days"] is not None else None),
        ("Credit headroom", headroom),
    ])
    st.caption("Headroom: the limit is above the estimated receivable (average monthly "
               "revenue of 3 months x payment terms / 30).")
with operating:
    _facts("Operating", [
        ("First order", info["first_order_date"]), ("Last order", info["last_order_date"]),
        ("Days since last order", info["days_since_last_order"]),
        ("Usual gap between orders", f"{float(info['median_order_gap_days']):.0f} days"
         if info["median_order_gap_days"] is not None else None),
        ("Last visit", info["last_visit_date"]),
        ("Next onsite visit due", info["next_visit_due_date"]),
        ("Priority", info["quadrant"]),
        ("Potential checklist", f"{info['potential_score']} of 7"
         if info["potential_score"] is not None else None),
    ])

# --- revenue ---------------------------------------------------------------------------------

months = card.months
first, last = months["month_start"][0], months["month_start"][-1]
span = f"{first:%b %Y} - {last:%b %Y}"
st.subheader("Revenue and gross profit")
fig = go.Figure([
    go.Bar(name="Revenue", x=months["month_start"].to_list(), y=months["revenue"].to_list(),
           marker_color="#4a90d9", hovertemplate="%{x|%b %Y}: ¥%{y:,.0f}<extra>Revenue</extra>"),
    go.Scatter(name="Gross profit", x=months["month_start"].to_list(),
               y=months["gross_profit"].to_list(), mode="lines+markers",
               line=dict(color="#2e7d32"),
               hovertemplate="%{x|%b %Y}: ¥%{y:,.0f}<extra>Gross profit</extra>"),
])
fig.update_layout(title=f"Revenue and gross profit by month, {span}", height=340,
                  yaxis=dict(title="¥ per month", tickprefix="¥", tickformat=",.0f"),
                  xaxis=dict(title="Month", dtick="M3", tickformat="%b %Y"),
                  legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"),
                  margin=dict(t=70, b=40))
kit.chart(fig, width="stretch")

# --- what they buy ---------------------------------------------------------------------------

st.subheader("What they buy")
mix, top = card.category_mix(), card.top_skus()
if mix.is_empty():
    st.info("No orders in the last 6 months.")
else:
    buy_col, top_col = st.columns(2, gap="large")
    with buy_col:
        fig = go.Figure(go.Bar(x=mix["share"].to_list(),
                               y=kit.plot_text(mix["category"].to_list()), orientation="h",
                               marker_color="#4a90d9",
                               hovertemplate="%{y}: %{x:.0%}<extra></extra>"))
        fig.update_layout(title="Category mix, last 6 months (share of revenue)", height=280,
                          xaxis=dict(title="Share of revenue", tickformat=".0%"),
                          yaxis=dict(title="Category", autorange="reversed"),
                          margin=dict(t=60, b=40))
        kit.chart(fig, width="stretch")
    with top_col:
        st.markdown("**Top products, last 6 months**")
        kit.grid(kit.shown(top), hide_index=True, column_config={
            "sku": "SKU", "product_name": "Product", "category": "Category",
            "quantity": st.column_config.NumberColumn("Quantity", format="%.0f"),
            "revenue": kit.money_column("Revenue (¥)"), "orders": "Orders"})
last_order = card.last_order()
if not last_order.is_empty():
    st.markdown(f"**Last order {kit.md(last_order['order_id'][0])}, "
                f"{last_order['order_date'][0]:%d %b %Y}**")
    kit.grid(kit.shown(last_order.drop("order_id", "order_date")), hide_index=True,
                 column_config={"line_number": "Line", "sku": "SKU", "product_name": "Product",
                                "quantity": st.column_config.NumberColumn("Quantity",
                                                                          format="%.0f"),
                                "revenue": kit.money_column("Revenue (¥)")})

# --- tier and lifecycle ----------------------------------------------------------------------

history_col, score_col = st.columns(2, gap="large")
with history_col:
    st.subheader("Tier and lifecycle stage")
    known = months.filter(pl.col("tier").is_not_null() | pl.col("lifecycle_stage").is_not_null())
    if known.is_empty():
        st.info("No tier or stage yet in these months.")
    else:
        fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                            subplot_titles=("Tier", "Lifecycle stage"))
        x = known["month_start"].to_list()
        fig.add_trace(go.Scatter(x=x, y=known["tier"].to_list(), mode="lines+markers",
                                 line=dict(shape="hv", color="#1f5fa8"), name="Tier",
                                 hovertemplate="%{x|%b %Y}: tier %{y}<extra></extra>"),
                      row=1, col=1)
        fig.add_trace(go.Scatter(x=x, y=known["lifecycle_stage"].to_list(), mode="markers",
                                 marker=dict(size=9, color="#6d4c41"), name="Stage",
                                 hovertemplate="%{x|%b %Y}: %{y}<extra></extra>"),
                      row=2, col=1)
        fig.update_yaxes(categoryorder="array", categoryarray=TIER_LEVELS, title_text="Tier",
                         range=[-0.5, len(TIER_LEVELS) - 0.5], row=1, col=1)
        fig.update_yaxes(categoryorder="array", categoryarray=STAGE_LEVELS,
                         title_text="Stage", range=[-0.5, len(STAGE_LEVELS) - 0.5], row=2,
                         col=1)
        fig.update_xaxes(title_text="Month", tickformat="%b %Y", row=2, col=1)
        fig.update_layout(title=f"Tier and stage by month, {span}", showlegend=False,
                          height=420, margin=dict(t=80, b=40))
        kit.chart(fig, width="stretch")
        moves = known.filter(pl.col("tier_move").is_in(["up", "down"]))
        if not moves.is_empty():
            st.caption("Tier moves: " + ", ".join(
                f"{m:%b %Y} {_value(p)}→{_value(t)}" for m, p, t in
                moves.select("month_start", "previous_tier", "tier").iter_rows()))

with score_col:
    st.subheader("Evaluation")
    dims = card.dimension_scores()
    if dims.is_empty():
        st.info("No evaluation yet: the customer has no order or visit.")
    else:
        names = dims["dimension"].to_list()
        scores = [s or 0 for s in dims["score"].to_list()]
        fig = go.Figure(go.Scatterpolar(r=scores + scores[:1], theta=names + names[:1],
                                        fill="toself", line=dict(color="#1f5fa8"),
                                        hovertemplate="%{theta}: %{r:.0f} / 100<extra></extra>"))
        fig.update_layout(title="Evaluation dimensions (percentile in region, 0-100)",
                          polar=dict(radialaxis=dict(range=[0, 100], ticksuffix="")),
                          showlegend=False, height=420, margin=dict(t=80, b=30, l=90, r=90))
        kit.chart(fig, width="stretch")
        s = card.scores or {}
        st.caption(f"Evaluation score {float(s['evaluation_score']):.0f} / 100 · priority "
                   f"{_value(s.get('quadrant'))} · service need "
                   f"{float(s.get('service_need_hours') or 0):.1f} h of visits in 90 days")
        with st.expander(f"Potential checklist: {s.get('potential_score', 0)} of 7"):
            kit.grid(card.checklist(), hide_index=True, column_config={
                "criterion": "Criterion", "met": st.column_config.CheckboxColumn("Met"),
                "source": st.column_config.TextColumn("Answered from")})

# --- visits ----------------------------------------------------------------------------------

st.subheader("Visits")
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
    st.markdown("**Visit notes** (newest first)")
    for v in noted.head(8).iter_rows(named=True):
        new = " · new, counts after the next build" if v["is_new"] else ""
        st.markdown(f"{_value(v['visit_date'])} · {_value(v['purpose'])} · "
                    f"{_value(v['outcome'])}{new}  \n{kit.md(v['notes'] or '')}"
                    + (f"  \nNext step: {kit.md(v['next_step'])}" if v["next_step"] else ""))
if visits.is_empty():
    st.info(f"No visits since {first:%b %Y}.")
else:
    fig = go.Figure()
    for outcome, colour in OUTCOME_COLOURS.items():
        part = visits.filter(pl.col("outcome") == outcome)
        if part.is_empty():
            continue
        fig.add_trace(go.Scatter(
            x=part["started_at"].to_list(), y=part["relationship_level"].to_list(),
            mode="markers", name=outcome.replace("_", " "),
            marker=dict(color=colour, size=10, line=dict(width=1, color="white"),
                        symbol=["circle" if t == "onsite" else "diamond-open"
                                for t in part["visit_type"]]),
            customdata=list(zip(kit.plot_text(part["rep_name"].to_list()), part["visit_type"],
                                part["duration_min"].fill_null(0))),
            hovertemplate="%{x|%d %b %Y %H:%M} · %{customdata[1]} by %{customdata[0]}, "
                          "%{customdata[2]} min<br>relationship %{y}<extra>%{fullData.name}"
                          "</extra>"))
    fig.update_layout(title=f"Visits since {first:%b %Y}: outcome and relationship level "
                            "(circle onsite, diamond phone)", height=320,
                      yaxis=dict(title="Relationship level (1 acquainted - 5 trusted)",
                                 range=[0.5, 5.5], dtick=1),
                      xaxis=dict(title="Visit date"), legend_title_text="Outcome",
                      margin=dict(t=60, b=40))
    kit.chart(fig, width="stretch")
    with st.expander(f"The {len(visits):,} visits"):
        shown = visits.drop("started_at")
        kit.grid(shown, hide_index=True, column_config={
            "visit_date": st.column_config.DateColumn("Date"), "rep_id": "Rep ID",
            "rep_name": "Rep", "visit_type": "Type",
            "duration_min": st.column_config.NumberColumn("Minutes"), "outcome": "Outcome",
            "relationship_level": st.column_config.NumberColumn("Relationship (1-5)"),
            "checkin_distance_km": st.column_config.NumberColumn("Check-in distance (km)",
                                                                 format="%.2f"),
            "is_far_checkin": st.column_config.CheckboxColumn("Far check-in"),
            "visit_id": "Visit ID"})
        kit.download(shown, f"visits_{card.customer_id}", label="Download visits")

# --- alerts and reps -------------------------------------------------------------------------

alert_col, rep_col = st.columns(2, gap="large")
with alert_col:
    st.subheader("Open alerts")
    if card.alerts.is_empty():
        st.success("No open alerts.", icon=":material/check_circle:")
    else:
        kit.grid(card.alerts.drop("alert_type"), hide_index=True, column_config={
            "alert": "Alert", "severity": "Severity",
            "since_date": st.column_config.DateColumn("Since"),
            "detail": st.column_config.TextColumn("Detail", width="large")})
with rep_col:
    st.subheader("Reps")
    rows = [("Developer (opened the account)", info["developer_rep_name"],
             info["developer_rep_id"]),
            ("Maintainer (serves it now)", info["maintainer_rep_name"],
             info["maintainer_rep_id"])]
    st.markdown("\n".join(f"- {role}: **{_value(name)}** ({_value(rep)})" if rep else
                          f"- {role}: not recorded" for role, name, rep in rows))
    book = card.maintainer_book
    if book:
        st.caption(f"{_value(book['rep_name'])}'s book: {book['customers']:,} customers, "
                   f"{kit.money(book['revenue_12m'])} in 12 months, "
                   f"{kit.pct(book['coverage_rate'], 0)} visited per policy.")

st.divider()
kit.download(months, f"customer_{card.customer_id}_months",
             label=f"Download the monthly history ({span})")
