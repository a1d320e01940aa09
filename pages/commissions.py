"""Commissions page: a rep's statement with the order lines behind every figure, the team, the
split accounts, downloads, and a what-if that re-prices a period under an edited plan."""

from datetime import date
from decimal import Decimal

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from models.core.errors import UserError
from models.queries import commissions
from ui import kit

st.title("Commissions")
user = kit.require_user()
wh = kit.warehouse()
scope = user.scope

WHATIF_KEY = "commissions_whatif"

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
    "order_revenue": kit.money_column("Order line revenue", 2),
    "credit_role": "Credited as",
    "share": kit.pct_column("Share"),
    "credited_revenue": kit.money_column("Credited revenue", 2),
    "plan_version": "Plan",
    "rate": kit.pct_column("Rate"),
    "base_commission": kit.money_column("Base commission", 2),
    "accelerated_revenue": kit.money_column("Above quota", 2),
    "accelerator_applied": st.column_config.NumberColumn("Accelerator", format="× %.2f"),
    "accelerator_commission": kit.money_column("Accelerator extra", 2),
    "commission_amount": kit.money_column("Commission", 2),
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
    "credited_revenue": kit.money_column("Credited revenue"),
    "sales_quota": kit.money_column("Quota"),
    "quota_attainment": kit.pct_column("Of quota"),
    "base_commission": kit.money_column("Base", 2),
    "accelerator_commission": kit.money_column("Accelerator", 2),
    "clawback_commission": kit.money_column("Clawbacks", 2),
    "total_commission": kit.money_column("Total commission", 2),
}

TEAM_CONFIG = {
    "region": "Region",
    "manager_name": "Manager",
    "reps": st.column_config.NumberColumn("Reps", format="%d"),
    "credited_revenue": kit.money_column("Credited revenue"),
    "base_commission": kit.money_column("Base", 2),
    "accelerator_commission": kit.money_column("Accelerator", 2),
    "clawback_commission": kit.money_column("Clawbacks", 2),
    "house_commission": kit.money_column("To the house", 2),
    "payable_commission": kit.money_column("Payable", 2),
    "total_commission": kit.money_column("Total", 2),
}


def _rep_label(row: dict) -> str:
    name = row["rep_name"] or row["rep_id"]
    return name if row["is_house"] else f"{name} ({row['rep_id']}, {row['region']})"


# --- month and rep ---------------------------------------------------------------------------

try:
    months = kit.cached(commissions.months, scope)
except UserError as e:
    st.error(kit.md(e))
    st.stop()
if not months:
    kit.empty("There are no commission lines you may see in this warehouse yet.")
    st.stop()

default_month = kit.options(user).default_month
picker = st.columns([1, 2, 3])
month = picker[0].selectbox("Month", months, format_func=_month_label, key="cm_month",
                            index=months.index(default_month) if default_month in months else 0,
                            help="The month the orders and returns were booked in.")
month_statements = kit.cached(commissions.statements, scope, month)
if month_statements.is_empty():
    kit.empty("No commission statements for this month.")
    st.stop()
reps = {row["rep_id"]: row for row in month_statements.iter_rows(named=True)}
rep_ids = list(reps)
default_rep = user.rep_id if user.rep_id in reps else rep_ids[0]
rep_id = picker[1].selectbox("Rep", rep_ids, index=rep_ids.index(default_rep), key="cm_rep",
                             format_func=lambda r: _rep_label(reps[r]),
                             help="Reps (and house accounts) with commission lines this month.")
chosen = reps[rep_id]

# --- the statement ---------------------------------------------------------------------------

st.subheader(f"Statement: {kit.md(chosen['rep_name'])}, {_month_label(month)}")
notes = [f"Plan {kit.md(chosen['plan_version'])}" if chosen["plan_version"] else
         "No commission plan version is in force this month: its lines earn no commission "
         "(reason no_plan)"]
if chosen["sales_quota"] is not None:
    notes.append(f"quota {kit.money(chosen['sales_quota'])} "
                 f"({kit.pct(chosen['quota_attainment'])} reached)")
else:
    notes.append("no quota this month, so no accelerator")
if chosen["is_house"]:
    notes.append("house account: revenue of reps outside their employment and of customers "
                 "without a maintainer, not payable")
st.caption(" · ".join(notes))

metrics = st.columns(5)
metrics[0].metric("Credited revenue", kit.money(chosen["credited_revenue"]))
metrics[1].metric("Base commission", kit.money(chosen["base_commission"], 2))
metrics[2].metric("Accelerator", kit.money(chosen["accelerator_commission"], 2))
metrics[3].metric("Clawbacks", kit.money(chosen["clawback_commission"], 2))
metrics[4].metric("Total commission", kit.money(chosen["total_commission"], 2))

with kit.spinner("Loading the statement's lines ..."):
    lines = kit.cached(commissions.statement_lines, scope, rep_id, month)

st.markdown("**The order lines behind each figure** (open a figure to see them)")
for figure in commissions.FIGURES:
    value = chosen[figure.key]
    behind = commissions.lines_behind(lines, figure.key)
    if behind.is_empty():
        continue
    shown = kit.money(value, 2) if figure.is_commission else kit.money(value)
    with st.expander(f"{figure.label}: {shown} · {behind.height:,} line(s)",
                     key=f"cm_fig_{figure.key}"):
        kit.grid(kit.shown(behind), hide_index=True, column_config=LINE_CONFIG,
                 key=f"cm_lines_{figure.key}",
                 phone_columns=["order_date", "customer_name", "credited_revenue",
                                "commission_amount"])

downloads = st.columns([1, 1, 4])
with downloads[0]:
    kit.download(lines.select(commissions.LINE_COLUMNS),
                 f"commission-lines-{rep_id}-{month:%Y-%m}", label="Download lines (CSV)",
                 key="cm_dl_lines")
with downloads[1]:
    kit.download_excel(kit.cached_later(commissions.export_sheets, scope, month),
                       f"commission-statements-{month:%Y-%m}",
                       label="Download statements (Excel)", key="cm_dl_excel")
st.caption("The Excel file has the month's statements you may see, then one sheet per rep "
           "with the rep's commission lines.")

# --- the team --------------------------------------------------------------------------------

st.subheader(f"Team, {_month_label(month)}")
team_view = month_statements.select(list(STATEMENT_CONFIG))
kit.grid(kit.shown(team_view), hide_index=True, column_config=STATEMENT_CONFIG, key="cm_team",
         phone_columns=["rep_name", "credited_revenue", "quota_attainment", "total_commission"])
kit.download(team_view, f"commission-statements-{month:%Y-%m}", key="cm_dl_team")

if month_statements.height > 1:
    ordered = month_statements.sort("total_commission", descending=True)
    figure = go.Figure(go.Bar(
        x=[kit.plot_text(_rep_label(r)) for r in ordered.iter_rows(named=True)],
        y=ordered["total_commission"].cast(pl.Float64).to_list(),
        marker_color=["#9e9e9e" if h else "#1f77b4" for h in ordered["is_house"]],
        hovertemplate="%{x}<br>¥%{y:,.2f}<extra></extra>"))
    figure.update_layout(title=f"Total commission by rep, {_month_label(month)}",
                         xaxis_title="Rep", yaxis_title="Commission (¥)",
                         yaxis_tickprefix="¥", yaxis_tickformat=",.0f", height=360,
                         margin=dict(t=50, b=10))
    kit.chart(figure, key="cm_team_chart")

teams = kit.cached(commissions.team_statements, scope, month)
if not teams.is_empty():
    st.markdown("**By manager and region**")
    kit.grid(kit.shown(teams.select(list(TEAM_CONFIG))), hide_index=True, column_config=TEAM_CONFIG,
             key="cm_teams", phone_columns=["region", "manager_name", "credited_revenue"])

# --- split accounts --------------------------------------------------------------------------

unassigned = kit.cached(commissions.unassigned_customers, scope)
if not unassigned.is_empty():
    st.subheader("Unassigned customers")
    st.caption(f"{unassigned.height:,} customer(s) have no maintainer in the customers file: "
               "their orders go to the house account (reason unassigned) until a rep is "
               "assigned.")
    kit.grid(unassigned, hide_index=True, width="stretch",
                 column_config={"customer_id": "Customer", "customer_name": "Name",
                                "region": "Region", "channel": "Channel", "tier": "Tier",
                                "last_order_date": "Last order",
                                "revenue_12m": kit.money_column("Revenue, 12 months", 2)})
    st.download_button("Download unassigned customers (CSV)", unassigned.write_csv(),
                       "unassigned_customers.csv", "text/csv")

st.subheader("Split accounts")
st.caption("Group-purchase accounts opened by one rep and maintained by another: the developer "
           "and the maintainer side by side. In the month of an account's first order the "
           "developer is credited in full.")
only_rep = st.toggle(f"Only accounts of {kit.md(chosen['rep_name'])}", value=False, key="cm_split_rep")
split = kit.cached(commissions.split_accounts, scope, month,
                   rep_id if only_rep else None)
if split.is_empty():
    kit.empty("No split accounts for this choice.")
else:
    split_config = {
        "customer_id": "Customer id",
        "customer_name": "Customer",
        "order_revenue": kit.money_column("Revenue"),
        "developer_name": "Developer",
        "developer_credited_revenue": kit.money_column("Developer's revenue"),
        "developer_commission": kit.money_column("Developer's commission", 2),
        "maintainer_name": "Maintainer",
        "maintainer_credited_revenue": kit.money_column("Maintainer's revenue"),
        "maintainer_commission": kit.money_column("Maintainer's commission", 2),
        "has_first_order_month": st.column_config.CheckboxColumn("First-order month"),
    }
    split_view = split.select(list(split_config))
    kit.grid(kit.shown(split_view), hide_index=True, column_config=split_config, key="cm_split",
             phone_columns=["customer_name", "order_revenue", "developer_name",
                            "maintainer_name"])
    kit.download(split_view, f"split-accounts-{month:%Y-%m}", key="cm_dl_split")

# --- what-if ---------------------------------------------------------------------------------

st.subheader("What-if")
st.caption("Re-price a period's commission lines under other rates, shares or accelerator and "
           "compare with the actual, rep by rep. Nothing is saved: the warehouse is not changed.")

plan = kit.cached(commissions.plan_in_force, scope, month)
if plan is None:
    kit.empty("No plan to start from for this month: no plan version covers it (its lines "
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
    region_options = [kit.ALL, *regions] if len(regions) > 1 else regions
    region = period[2].selectbox("Region", region_options, key="wi_region")

    st.markdown(f"Rates by price band (plan {kit.md(plan.version)} of {_month_label(month)}: "
                + ", ".join(f"{kit.md(band)} {float(rate) * 100:g} %" for band, rate in plan.rates)
                + ")")
    rate_columns = st.columns(max(len(plan.rates), 1))
    rates: dict[str, float] = {}
    for column, (band, rate) in zip(rate_columns, plan.rates):
        rates[band] = column.number_input(f"{kit.md(band)} (%)", min_value=0.0, max_value=100.0,
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
            with kit.spinner("Re-pricing the period ..."):
                result = kit.cached(commissions.run_whatif, scope, start, end, edited,
                                    region=None if region == kit.ALL else region)
            st.session_state[WHATIF_KEY] = (start, end, region, result)
        except UserError as e:
            st.session_state.pop(WHATIF_KEY, None)
            st.error(kit.md(e))

stored = st.session_state.get(WHATIF_KEY)
if stored is not None:
    w_start, w_end, w_region, result = stored
    versions = kit.cached(commissions.plan_versions, scope, w_start, w_end)
    where = "all regions" if w_region == kit.ALL else kit.md(w_region)
    st.markdown(f"**{_month_label(w_start)} to {_month_label(w_end)}, {where}**: "
                f"{result.lines:,} commission lines re-priced in {result.seconds:.2f} s")
    if len(versions) > 1:
        st.info(f"The actual figures use the plan versions {kit.md(', '.join(versions))}; the what-if "
                "applies one plan to the whole period.")
    totals = st.columns(3)
    totals[0].metric("Actual commission", kit.money(result.actual_total, 2))
    totals[1].metric("What-if commission", kit.money(result.whatif_total, 2))
    totals[2].metric("Difference", kit.money(result.difference, 2))
    per_rep = result.per_rep
    if per_rep.is_empty():
        kit.empty("No commission lines in this period.")
    else:
        compare_config = {
            "region": "Region",
            "rep_id": "Rep id",
            "rep_name": "Rep",
            "actual_credited_revenue": kit.money_column("Credited revenue"),
            "whatif_credited_revenue": kit.money_column("What-if credited revenue"),
            "actual_commission": kit.money_column("Actual", 2),
            "whatif_commission": kit.money_column("What-if", 2),
            "difference": kit.money_column("Difference", 2),
        }
        compare_view = per_rep.select(list(compare_config))
        kit.grid(kit.shown(compare_view), hide_index=True, column_config=compare_config,
                     key="cm_whatif_table")
        kit.download(compare_view, f"commission-whatif-{w_start:%Y-%m}-{w_end:%Y-%m}",
                     key="cm_dl_whatif")
        names = [kit.plot_text(r["rep_name"] or r["rep_id"]) for r in per_rep.iter_rows(named=True)]
        chart = go.Figure([
            go.Bar(name="Actual", x=names, y=per_rep["actual_commission"].cast(pl.Float64)),
            go.Bar(name="What-if", x=names, y=per_rep["whatif_commission"].cast(pl.Float64)),
        ])
        chart.update_layout(title="Commission per rep: actual and what-if", barmode="group",
                            xaxis_title="Rep", yaxis_title="Commission (¥)",
                            yaxis_tickprefix="¥", yaxis_tickformat=",.0f", height=380,
                            margin=dict(t=50, b=10))
        kit.chart(chart, key="cm_whatif_chart")
