"""Commissions page: a rep's statement with the order lines behind every figure, the team, the
split accounts, downloads, and a what-if that re-prices a period under an edited plan."""

from datetime import date
from decimal import Decimal

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from models.core.errors import UserError
from models.core.scoping import Scope
from models.queries import commissions
from pages import _ui

st.title("Commissions")
user = _ui.require_user()
wh = _ui.warehouse()
build_id = wh.build_id
scope = user.scope

WHATIF_KEY = "commissions_whatif"


# --- cached reads (keyed by the build and the user's scope) ------------------------------------

@st.cache_data(ttl=600, show_spinner=False)
def _months(build_id: str, scope: Scope) -> list[date]:
    return commissions.months(wh, scope)


@st.cache_data(ttl=600, show_spinner=False)
def _statements(build_id: str, scope: Scope, month: date) -> pl.DataFrame:
    return commissions.statements(wh, scope, month)


@st.cache_data(ttl=600, show_spinner=False)
def _statement_lines(build_id: str, scope: Scope, rep_id: str, month: date) -> pl.DataFrame:
    return commissions.statement_lines(wh, scope, rep_id, month)


@st.cache_data(ttl=600, show_spinner=False)
def _teams(build_id: str, scope: Scope, month: date) -> pl.DataFrame:
    return commissions.team_statements(wh, scope, month)


@st.cache_data(ttl=600, show_spinner=False)
def _split(build_id: str, scope: Scope, month: date, rep_id: str | None) -> pl.DataFrame:
    return commissions.split_accounts(wh, scope, month, rep_id)


@st.cache_data(ttl=600, show_spinner=False)
def _export(build_id: str, scope: Scope, month: date) -> dict[str, pl.DataFrame]:
    return commissions.export_sheets(wh, scope, month)


@st.cache_data(ttl=600, show_spinner=False)
def _unassigned(build_id: str, scope: Scope) -> pl.DataFrame:
    return commissions.unassigned_customers(wh, scope)


@st.cache_data(ttl=600, show_spinner=False)
def _plan(build_id: str, scope: Scope, month: date) -> commissions.Plan | None:
    return commissions.plan_in_force(wh, scope, month)


@st.cache_data(ttl=600, show_spinner=False)
def _versions(build_id: str, scope: Scope, start: date, end: date) -> list[str]:
    return commissions.plan_versions(wh, scope, start, end)


@st.cache_data(ttl=600, show_spinner=False)
def _whatif(build_id: str, scope: Scope, start: date, end: date, region: str | None,
            plan: commissions.Plan) -> commissions.WhatIf:
    return commissions.run_whatif(wh, scope, start, end, plan, region=region)


# --- labels ----------------------------------------------------------------------------------

def _month_label(m: date) -> str:
    return m.strftime("%b %Y")


LINE_CONFIG = {
    "order_date": st.column_config.DateColumn("Date"),
    "order_id": "Order",
    "line_number": st.column_config.NumberColumn("Line", format="%d"),
    "customer_id": "Customer id",
    "customer_name": "Customer",
    "sku": "SKU",
    "product_name": "Product",
    "price_band": "Price band",
    "quantity": st.column_config.NumberColumn("Quantity", format="%,.1f"),
    "order_revenue": _ui.money_column("Order line revenue", 2),
    "credit_role": "Credited as",
    "share": _ui.pct_column("Share"),
    "credited_revenue": _ui.money_column("Credited revenue", 2),
    "plan_version": "Plan",
    "rate": _ui.pct_column("Rate"),
    "base_commission": _ui.money_column("Base commission", 2),
    "accelerated_revenue": _ui.money_column("Above quota", 2),
    "accelerator_applied": st.column_config.NumberColumn("Accelerator", format="× %.2f"),
    "accelerator_commission": _ui.money_column("Accelerator extra", 2),
    "commission_amount": _ui.money_column("Commission", 2),
    "is_return": st.column_config.CheckboxColumn("Return"),
    "is_first_order_month": st.column_config.CheckboxColumn("First-order month"),
    "house_reason": "House because",
    "account_rep_id": "Account's rep",
}

STATEMENT_CONFIG = {
    "rep_id": "Rep id",
    "rep_name": "Rep",
    "region": "Region",
    "is_house": st.column_config.CheckboxColumn("House account"),
    "customers": st.column_config.NumberColumn("Customers", format="%d"),
    "credited_revenue": _ui.money_column("Credited revenue"),
    "sales_quota": _ui.money_column("Quota"),
    "quota_attainment": _ui.pct_column("Of quota"),
    "base_commission": _ui.money_column("Base", 2),
    "accelerator_commission": _ui.money_column("Accelerator", 2),
    "clawback_commission": _ui.money_column("Clawbacks", 2),
    "total_commission": _ui.money_column("Total commission", 2),
}

TEAM_CONFIG = {
    "region": "Region",
    "manager_name": "Manager",
    "reps": st.column_config.NumberColumn("Reps", format="%d"),
    "credited_revenue": _ui.money_column("Credited revenue"),
    "base_commission": _ui.money_column("Base", 2),
    "accelerator_commission": _ui.money_column("Accelerator", 2),
    "clawback_commission": _ui.money_column("Clawbacks", 2),
    "house_commission": _ui.money_column("To the house", 2),
    "payable_commission": _ui.money_column("Payable", 2),
    "total_commission": _ui.money_column("Total", 2),
}


def _rep_label(row: dict) -> str:
    name = row["rep_name"] or row["rep_id"]
    return name if row["is_house"] else f"{name} ({row['rep_id']}, {row['region']})"


# --- month and rep ---------------------------------------------------------------------------

try:
    months = _months(build_id, scope)
except UserError as e:
    st.error(_ui.md(e))
    st.stop()
if not months:
    _ui.empty("There are no commission lines you may see in this warehouse yet.")
    st.stop()

default_month = _ui.options(user).default_month
picker = st.columns([1, 2, 3])
month = picker[0].selectbox("Month", months, format_func=_month_label, key="cm_month",
                            index=months.index(default_month) if default_month in months else 0,
                            help="The month the orders and returns were booked in.")
month_statements = _statements(build_id, scope, month)
if month_statements.is_empty():
    _ui.empty("No commission statements for this month.")
    st.stop()
reps = {row["rep_id"]: row for row in month_statements.iter_rows(named=True)}
rep_ids = list(reps)
default_rep = user.rep_id if user.rep_id in reps else rep_ids[0]
rep_id = picker[1].selectbox("Rep", rep_ids, index=rep_ids.index(default_rep), key="cm_rep",
                             format_func=lambda r: _rep_label(reps[r]),
                             help="Reps (and house accounts) with commission lines this month.")
chosen = reps[rep_id]

# --- the statement ---------------------------------------------------------------------------

st.subheader(f"Statement: {_ui.md(chosen['rep_name'])}, {_month_label(month)}")
notes = [f"Plan {_ui.md(chosen['plan_version'])}" if chosen["plan_version"] else
         "No commission plan version is in force this month: its lines earn no commission "
         "(reason no_plan)"]
if chosen["sales_quota"] is not None:
    notes.append(f"quota {_ui.money(chosen['sales_quota'])} "
                 f"({_ui.pct(chosen['quota_attainment'])} reached)")
else:
    notes.append("no quota this month, so no accelerator")
if chosen["is_house"]:
    notes.append("house account: revenue of reps outside their employment and of customers "
                 "without a maintainer, not payable")
st.caption(" · ".join(notes))

metrics = st.columns(5)
metrics[0].metric("Credited revenue", _ui.money(chosen["credited_revenue"]))
metrics[1].metric("Base commission", _ui.money(chosen["base_commission"], 2))
metrics[2].metric("Accelerator", _ui.money(chosen["accelerator_commission"], 2))
metrics[3].metric("Clawbacks", _ui.money(chosen["clawback_commission"], 2))
metrics[4].metric("Total commission", _ui.money(chosen["total_commission"], 2))

with _ui.spinner("Loading the statement's lines ..."):
    lines = _statement_lines(build_id, scope, rep_id, month)

st.markdown("**The order lines behind each figure** (open a figure to see them)")
for figure in commissions.FIGURES:
    value = chosen[figure.key]
    behind = commissions.lines_behind(lines, figure.key)
    if behind.is_empty():
        continue
    shown = _ui.money(value, 2) if figure.is_commission else _ui.money(value)
    with st.expander(f"{figure.label}: {shown} · {behind.height:,} line(s)",
                     key=f"cm_fig_{figure.key}"):
        _ui.grid(_ui.shown(behind), hide_index=True, column_config=LINE_CONFIG,
                 key=f"cm_lines_{figure.key}",
                 phone_columns=["order_date", "customer_name", "credited_revenue",
                                "commission_amount"])

downloads = st.columns([1, 1, 4])
with downloads[0]:
    _ui.download(lines.select(commissions.LINE_COLUMNS),
                 f"commission-lines-{rep_id}-{month:%Y-%m}", label="Download lines (CSV)",
                 key="cm_dl_lines")
with downloads[1]:
    _ui.download_excel(lambda: _export(build_id, scope, month),
                       f"commission-statements-{month:%Y-%m}",
                       label="Download statements (Excel)", key="cm_dl_excel")
st.caption("The Excel file has the month's statements you may see, then one sheet per rep "
           "with the rep's commission lines.")

# --- the team --------------------------------------------------------------------------------

st.subheader(f"Team, {_month_label(month)}")
team_view = month_statements.select(list(STATEMENT_CONFIG))
_ui.grid(_ui.shown(team_view), hide_index=True, column_config=STATEMENT_CONFIG, key="cm_team",
         phone_columns=["rep_name", "credited_revenue", "quota_attainment", "total_commission"])
_ui.download(team_view, f"commission-statements-{month:%Y-%m}", key="cm_dl_team")

if month_statements.height > 1:
    ordered = month_statements.sort("total_commission", descending=True)
    figure = go.Figure(go.Bar(
        x=[_ui.plot_text(_rep_label(r)) for r in ordered.iter_rows(named=True)],
        y=ordered["total_commission"].cast(pl.Float64).to_list(),
        marker_color=["#9e9e9e" if h else "#1f77b4" for h in ordered["is_house"]],
        hovertemplate="%{x}<br>¥%{y:,.2f}<extra></extra>"))
    figure.update_layout(title=f"Total commission by rep, {_month_label(month)}",
                         xaxis_title="Rep", yaxis_title="Commission (¥)",
                         yaxis_tickprefix="¥", yaxis_tickformat=",.0f", height=360,
                         margin=dict(t=50, b=10))
    _ui.chart(figure, key="cm_team_chart")

teams = _teams(build_id, scope, month)
if not teams.is_empty():
    st.markdown("**By manager and region**")
    _ui.grid(_ui.shown(teams.select(list(TEAM_CONFIG))), hide_index=True, column_config=TEAM_CONFIG,
             key="cm_teams", phone_columns=["region", "manager_name", "credited_revenue"])

# --- split accounts --------------------------------------------------------------------------

unassigned = _unassigned(build_id, scope)
if not unassigned.is_empty():
    st.subheader("Unassigned customers")
    st.caption(f"{unassigned.height:,} customer(s) have no maintainer in the customers file: "
               "their orders go to the house account (reason unassigned) until a rep is "
               "assigned.")
    _ui.grid(unassigned, hide_index=True, width="stretch",
                 column_config={"customer_id": "Customer", "customer_name": "Name",
                                "region": "Region", "channel": "Channel", "tier": "Tier",
                                "last_order_date": "Last order",
                                "revenue_12m": _ui.money_column("Revenue, 12 months", 2)})
    st.download_button("Download unassigned customers (CSV)", unassigned.write_csv(),
                       "unassigned_customers.csv", "text/csv")

st.subheader("Split accounts")
st.caption("Group-purchase accounts opened by one rep and maintained by another: the developer "
           "and the maintainer side by side. In the month of an account's first order the "
           "developer is credited in full.")
only_rep = st.toggle(f"Only accounts of {_ui.md(chosen['rep_name'])}", value=False, key="cm_split_rep")
split = _split(build_id, scope, month, rep_id if only_rep else None)
if split.is_empty():
    _ui.empty("No split accounts for this choice.")
else:
    split_config = {
        "customer_id": "Customer id",
        "customer_name": "Customer",
        "order_revenue": _ui.money_column("Revenue"),
        "developer_name": "Developer",
        "developer_credited_revenue": _ui.money_column("Developer's revenue"),
        "developer_commission": _ui.money_column("Developer's commission", 2),
        "maintainer_name": "Maintainer",
        "maintainer_credited_revenue": _ui.money_column("Maintainer's revenue"),
        "maintainer_commission": _ui.money_column("Maintainer's commission", 2),
        "has_first_order_month": st.column_config.CheckboxColumn("First-order month"),
    }
    split_view = split.select(list(split_config))
    _ui.grid(_ui.shown(split_view), hide_index=True, column_config=split_config, key="cm_split",
             phone_columns=["customer_name", "order_revenue", "developer_name",
                            "maintainer_name"])
    _ui.download(split_view, f"split-accounts-{month:%Y-%m}", key="cm_dl_split")

# --- what-if ---------------------------------------------------------------------------------

st.subheader("What-if")
st.caption("Re-price a period's commission lines under other rates, shares or accelerator and "
           "compare with the actual, rep by rep. Nothing is saved: the warehouse is not changed.")

plan = _plan(build_id, scope, month)
if plan is None:
    _ui.empty("No plan to start from for this month: no plan version covers it (its lines "
              "earn no commission, reason no_plan).")
    st.stop()

regions = sorted({r for r in month_statements["region"].to_list() if r})
with st.form("cm_whatif_form"):
    period = st.columns([1, 1, 1])
    start_default, end_default = commissions.year_ending(month)
    start_options = [m for m in reversed(months) if m <= month]
    start = period[0].selectbox("From", start_options, format_func=_month_label, key="wi_start",
                                index=start_options.index(start_default)
                                if start_default in start_options else 0)
    end = period[1].selectbox("To", [m for m in months if m <= month], key="wi_end",
                              format_func=_month_label)
    region_options = [_ui.ALL, *regions] if len(regions) > 1 else regions
    region = period[2].selectbox("Region", region_options, key="wi_region")

    st.markdown(f"Rates by price band (plan {_ui.md(plan.version)} of {_month_label(month)}: "
                + ", ".join(f"{_ui.md(band)} {float(rate) * 100:g} %" for band, rate in plan.rates)
                + ")")
    rate_columns = st.columns(max(len(plan.rates), 1))
    rates: dict[str, float] = {}
    for column, (band, rate) in zip(rate_columns, plan.rates):
        rates[band] = column.number_input(f"{_ui.md(band)} (%)", min_value=0.0, max_value=100.0,
                                          value=float(rate) * 100, step=0.1, format="%.2f",
                                          key=f"wi_rate_{band}")
    shares = st.columns(4)
    developer_pct = shares[0].number_input(
        "Developer share (%)", 0.0, 100.0, float(plan.developer_share) * 100, 5.0,
        format="%.1f", key="wi_developer",
        help="Split accounts after the first-order month; the maintainer gets the rest.")
    first_pct = shares[1].number_input(
        "First-order month developer share (%)", 0.0, 100.0,
        float(plan.first_order_developer_share) * 100, 5.0, format="%.1f", key="wi_first")
    accelerator = shares[2].number_input(
        "Accelerator (×)", 1.0, 5.0, float(plan.accelerator), 0.05, format="%.2f",
        key="wi_accelerator", help="Rate multiplier on credited revenue above the quota line.")
    threshold_pct = shares[3].number_input(
        "Quota line (% of quota)", 0.0, 500.0, float(plan.quota_threshold) * 100, 5.0,
        format="%.0f", key="wi_threshold")
    submitted = st.form_submit_button("Re-price", type="primary", icon=":material/calculate:")


def _pct_decimal(value: float) -> Decimal:
    return (Decimal(str(round(value, 4))) / 100).quantize(Decimal("0.0001"))


if submitted:
    if end < start:
        st.error("The period ends before it starts: pick a later 'To' month.")
    else:
        try:
            edited = commissions.Plan(
                rates=tuple((band, _pct_decimal(v)) for band, v in rates.items()),
                developer_share=_pct_decimal(developer_pct),
                first_order_developer_share=_pct_decimal(first_pct),
                accelerator=Decimal(str(round(accelerator, 4))).quantize(Decimal("0.0001")),
                quota_threshold=_pct_decimal(threshold_pct))
            with _ui.spinner("Re-pricing the period ..."):
                result = _whatif(build_id, scope, start, end,
                                 None if region == _ui.ALL else region, edited)
            st.session_state[WHATIF_KEY] = (start, end, region, result)
        except UserError as e:
            st.session_state.pop(WHATIF_KEY, None)
            st.error(_ui.md(e))

stored = st.session_state.get(WHATIF_KEY)
if stored is not None:
    w_start, w_end, w_region, result = stored
    versions = _versions(build_id, scope, w_start, w_end)
    where = "all regions" if w_region == _ui.ALL else _ui.md(w_region)
    st.markdown(f"**{_month_label(w_start)} to {_month_label(w_end)}, {where}**: "
                f"{result.lines:,} commission lines re-priced in {result.seconds:.2f} s")
    if len(versions) > 1:
        st.info(f"The actual figures use the plan versions {_ui.md(', '.join(versions))}; the what-if "
                "applies one plan to the whole period.")
    totals = st.columns(3)
    totals[0].metric("Actual commission", _ui.money(result.actual_total, 2))
    totals[1].metric("What-if commission", _ui.money(result.whatif_total, 2))
    totals[2].metric("Difference", _ui.money(result.difference, 2))
    per_rep = result.per_rep
    if per_rep.is_empty():
        _ui.empty("No commission lines in this period.")
    else:
        compare_config = {
            "region": "Region",
            "rep_id": "Rep id",
            "rep_name": "Rep",
            "actual_credited_revenue": _ui.money_column("Credited revenue"),
            "whatif_credited_revenue": _ui.money_column("What-if credited revenue"),
            "actual_commission": _ui.money_column("Actual", 2),
            "whatif_commission": _ui.money_column("What-if", 2),
            "difference": _ui.money_column("Difference", 2),
        }
        compare_view = per_rep.select(list(compare_config))
        _ui.grid(_ui.shown(compare_view), hide_index=True, column_config=compare_config,
                     key="cm_whatif_table")
        _ui.download(compare_view, f"commission-whatif-{w_start:%Y-%m}-{w_end:%Y-%m}",
                     key="cm_dl_whatif")
        names = [_ui.plot_text(r["rep_name"] or r["rep_id"]) for r in per_rep.iter_rows(named=True)]
        chart = go.Figure([
            go.Bar(name="Actual", x=names, y=per_rep["actual_commission"].cast(pl.Float64)),
            go.Bar(name="What-if", x=names, y=per_rep["whatif_commission"].cast(pl.Float64)),
        ])
        chart.update_layout(title="Commission per rep: actual and what-if", barmode="group",
                            xaxis_title="Rep", yaxis_title="Commission (¥)",
                            yaxis_tickprefix="¥", yaxis_tickformat=",.0f", height=380,
                            margin=dict(t=50, b=10))
        _ui.chart(chart, key="cm_whatif_chart")
