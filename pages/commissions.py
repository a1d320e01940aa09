"""Commissions page: a rep's statement with the order lines behind every figure, the team, the
split accounts, downloads, and a what-if that re-prices a period under an edited plan."""

from decimal import Decimal

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from models.core import exports
from models.core.errors import UserError
from models.queries import commissions
from ui import kit
from ui.i18n import label, lang, money, money_short, month_label, percent, t

st.title(t("Commissions"))
user = kit.require_user()
wh = kit.warehouse()
scope = user.scope

WHATIF_KEY = "commissions_whatif"

# --- labels ----------------------------------------------------------------------------------

_month_label = month_label
# Widgets' option labels are made once per run, in this run's language (a format_func is also
# called outside the run, e.g. by AppTest, where the session's language is not known).
HEADERS = commissions.line_headers(lang())   # one wording for the grids and the downloads
STATEMENT_HEADERS = commissions.statement_headers(lang())
ANALYST_KEYS_HELP = t("Headers as the stable English column keys (customer_name ...), for "
                      "scripts and analysts; otherwise the headers are in this page's language.")

LINE_CONFIG = {
    "order_date": st.column_config.DateColumn(HEADERS["order_date"]),
    "order_id": HEADERS["order_id"],
    "line_number": st.column_config.NumberColumn(HEADERS["line_number"], format="%d"),
    "customer_id": HEADERS["customer_id"],
    "customer_name": HEADERS["customer_name"],
    "sku": HEADERS["sku"],
    "product_name": HEADERS["product_name"],
    "price_band": HEADERS["price_band"],
    "quantity": st.column_config.NumberColumn(HEADERS["quantity"], format="%,.1f"),
    "order_revenue": kit.money_column(HEADERS["order_revenue"], 2),
    "credit_role": HEADERS["credit_role"],
    "share": kit.pct_column(HEADERS["share"]),
    "credited_revenue": kit.money_column(HEADERS["credited_revenue"], 2),
    "plan_version": HEADERS["plan_version"],
    "rate": kit.pct_column(HEADERS["rate"]),
    "base_commission": kit.money_column(HEADERS["base_commission"], 2),
    "accelerated_revenue": kit.money_column(HEADERS["accelerated_revenue"], 2),
    "accelerator_applied": st.column_config.NumberColumn(HEADERS["accelerator_applied"],
                                                         format="× %.2f"),
    "accelerator_commission": kit.money_column(HEADERS["accelerator_commission"], 2),
    "commission_amount": kit.money_column(HEADERS["commission_amount"], 2),
    "is_return": st.column_config.CheckboxColumn(HEADERS["is_return"]),
    "is_first_order_month": st.column_config.CheckboxColumn(HEADERS["is_first_order_month"]),
    "house_reason": HEADERS["house_reason"],
    "account_rep_id": HEADERS["account_rep_id"],
}

STATEMENT_CONFIG = {
    "rep_id": STATEMENT_HEADERS["rep_id"],
    "rep_name": STATEMENT_HEADERS["rep_name"],
    "region": STATEMENT_HEADERS["region"],
    "is_house": st.column_config.CheckboxColumn(STATEMENT_HEADERS["is_house"]),
    "customers": st.column_config.NumberColumn(STATEMENT_HEADERS["customers"], format="%d"),
    "credited_revenue": kit.money_column(STATEMENT_HEADERS["credited_revenue"]),
    "sales_quota": kit.money_column(STATEMENT_HEADERS["sales_quota"]),
    "quota_attainment": kit.pct_column(STATEMENT_HEADERS["quota_attainment"]),
    "base_commission": kit.money_column(t("Base"), 2),
    "accelerator_commission": kit.money_column(STATEMENT_HEADERS["accelerator_commission"], 2),
    "clawback_commission": kit.money_column(t("Clawbacks"), 2),
    "total_commission": kit.money_column(STATEMENT_HEADERS["total_commission"], 2),
}

TEAM_CONFIG = {
    "region": STATEMENT_HEADERS["region"],
    "manager_name": t("Manager"),
    "reps": st.column_config.NumberColumn(t("Reps"), format="%d"),
    "credited_revenue": kit.money_column(STATEMENT_HEADERS["credited_revenue"]),
    "base_commission": kit.money_column(t("Base"), 2),
    "accelerator_commission": kit.money_column(STATEMENT_HEADERS["accelerator_commission"], 2),
    "clawback_commission": kit.money_column(t("Clawbacks"), 2),
    "house_commission": kit.money_column(t("To the house"), 2),
    "payable_commission": kit.money_column(t("Payable"), 2),
    "total_commission": kit.money_column(t("Total"), 2),
}


def _headers(config: dict) -> dict[str, str]:
    """Column key -> the header a grid shows, for the CSV of that grid."""
    return {key: value if isinstance(value, str) else value.get("label") or key
            for key, value in config.items()}


def _csv(frame: pl.DataFrame, config: dict, name: str, key: str, keys: bool,
         label_text: str | None = None) -> None:
    """A CSV download of a grid with its headers in the page's language, or the column keys
    when the analysts' box (beside the statement's downloads) is ticked."""
    kit.download(exports.headed(frame, _headers(config), keys), name,
                 label=label_text or t("Download CSV"), key=key)


def _rep_label(row: dict) -> str:
    name = row["rep_name"] or row["rep_id"]
    return name if row["is_house"] else t("{name} ({rep_id}, {region})", name=name,
                                          rep_id=row["rep_id"], region=row["region"])


# --- month and rep ---------------------------------------------------------------------------

try:
    months = kit.cached(commissions.months, scope)
except UserError as e:
    st.error(kit.md(e))
    st.stop()
if not months:
    kit.empty(t("There are no commission lines you may see in this warehouse yet."))
    st.stop()

default_month = kit.options(user).default_month
picker = st.columns([1, 2, 3])
month_labels = {m: _month_label(m) for m in months}
month = picker[0].selectbox(t("Month"), months, format_func=month_labels.get, key="cm_month",
                            index=months.index(default_month) if default_month in months else 0,
                            help=t("The month the orders and returns were booked in."))
month_statements = kit.cached(commissions.statements, scope, month)
if month_statements.is_empty():
    kit.empty(t("No commission statements for this month."))
    st.stop()
reps = {row["rep_id"]: row for row in month_statements.iter_rows(named=True)}
rep_ids = list(reps)
default_rep = user.rep_id if user.rep_id in reps else rep_ids[0]
rep_id = picker[1].selectbox(t("Rep"), rep_ids, index=rep_ids.index(default_rep), key="cm_rep",
                             format_func={r: _rep_label(row) for r, row in reps.items()}.get,
                             help=t("Reps (and house accounts) with commission lines this month."))
chosen = reps[rep_id]

# --- the statement ---------------------------------------------------------------------------

st.subheader(t("Statement: {rep}, {month}", rep=kit.md(chosen["rep_name"]),
               month=_month_label(month)))
notes = [t("Plan {version}", version=kit.md(chosen["plan_version"])) if chosen["plan_version"]
         else t("No commission plan version is in force this month: its lines earn no "
                "commission (reason: {reason})",
                reason=label("no_commission_reason", "no_plan"))]
if chosen["sales_quota"] is not None:
    notes.append(t("quota {quota} ({share} reached)", quota=money(chosen["sales_quota"], 0),
                   share=percent(chosen["quota_attainment"])))
else:
    notes.append(t("no quota this month, so no accelerator"))
if chosen["is_house"]:
    notes.append(t("house account: revenue of reps outside their employment and of customers "
                   "without a maintainer, not payable"))
st.caption(" · ".join(notes))

metrics = st.columns(5)
metrics[0].metric(t("Credited revenue"), money_short(chosen["credited_revenue"]),
                  help=t("Exactly {amount}", amount=money(chosen["credited_revenue"])))
metrics[1].metric(t("Base commission"), money(chosen["base_commission"]))
metrics[2].metric(t("Accelerator"), money(chosen["accelerator_commission"]))
metrics[3].metric(t("Clawbacks"), money(chosen["clawback_commission"]))
metrics[4].metric(t("Total commission"), money(chosen["total_commission"]))

with kit.spinner(t("Loading the statement's lines ...")):
    lines = kit.cached(commissions.statement_lines, scope, rep_id, month)

st.markdown(t("**The order lines behind each figure** (open a figure to see them)"))
figure_labels = commissions.figure_labels(lang())
for figure in commissions.FIGURES:
    value = chosen[figure.key]
    behind = commissions.lines_behind(lines, figure.key)
    if behind.is_empty():
        continue
    shown = money(value) if figure.is_commission else money(value, 0)
    with st.expander(t("{figure}: {amount} · {n} line(s)", figure=figure_labels[figure.key],
                       amount=shown, n=f"{behind.height:,}"),
                     key=f"cm_fig_{figure.key}"):
        kit.grid(kit.shown(behind), hide_index=True, column_config=LINE_CONFIG,
                 key=f"cm_lines_{figure.key}",
                 phone_columns=["order_date", "customer_name", "credited_revenue",
                                "commission_amount"])

downloads = st.columns([1, 1, 2])
with downloads[2]:
    keys = st.checkbox(t("Column keys for analysts"), key="cm_dl_keys", help=ANALYST_KEYS_HELP)
with downloads[0]:
    kit.download(exports.headed(lines.select(commissions.LINE_COLUMNS), HEADERS, keys),
                 t("commission-lines-{rep_id}-{month}", rep_id=rep_id, month=f"{month:%Y-%m}"),
                 label=t("Download lines (CSV)"), key="cm_dl_lines")
with downloads[1]:
    kit.download_excel(kit.cached_later(commissions.export_sheets, scope, month,
                                        lang=lang(), keys=keys),
                       t("commission-statements-{month}", month=f"{month:%Y-%m}"),
                       label=t("Download statements (Excel)"), key="cm_dl_excel")
st.caption(t("The Excel file has the month's statements you may see, then one sheet per rep "
             "with the rep's commission lines."))

# --- the team --------------------------------------------------------------------------------

st.subheader(t("Team, {month}", month=_month_label(month)))
team_view = month_statements.select(list(STATEMENT_CONFIG))
kit.grid(kit.shown(team_view), hide_index=True, column_config=STATEMENT_CONFIG, key="cm_team",
         phone_columns=["rep_name", "credited_revenue", "quota_attainment", "total_commission"])
_csv(team_view, STATEMENT_CONFIG, t("commission-statements-{month}", month=f"{month:%Y-%m}"),
     "cm_dl_team", keys)

if month_statements.height > 1:
    ordered = month_statements.sort("total_commission", descending=True)
    figure = go.Figure(go.Bar(
        x=[kit.plot_text(_rep_label(r)) for r in ordered.iter_rows(named=True)],
        y=ordered["total_commission"].cast(pl.Float64).to_list(),
        marker_color=["#9e9e9e" if h else "#1f77b4" for h in ordered["is_house"]],
        hovertemplate="%{x}<br>¥%{y:,.2f}<extra></extra>"))
    figure.update_layout(title=t("Total commission by rep, {month}", month=_month_label(month)),
                         xaxis_title=t("Rep"), yaxis_title=t("Commission (¥)"),
                         yaxis_tickprefix="¥", yaxis_tickformat=",.0f", height=360,
                         margin=dict(t=50, b=10))
    kit.chart(figure, key="cm_team_chart")

teams = kit.cached(commissions.team_statements, scope, month)
if not teams.is_empty():
    st.markdown(t("**By manager and region**"))
    kit.grid(kit.shown(teams.select(list(TEAM_CONFIG))), hide_index=True, column_config=TEAM_CONFIG,
             key="cm_teams", phone_columns=["region", "manager_name", "credited_revenue"])

# --- split accounts --------------------------------------------------------------------------

unassigned = kit.cached(commissions.unassigned_customers, scope)
if not unassigned.is_empty():
    st.subheader(t("Unassigned customers"))
    st.caption(t("{n} customer(s) have no maintainer in the customers file: their orders go to "
                 "the house account (reason: {reason}) until a rep is assigned.",
                 n=f"{unassigned.height:,}", reason=label("house_reason", "unassigned")))
    unassigned_config = {"customer_id": HEADERS["customer_id"],
                         "customer_name": HEADERS["customer_name"],
                         "region": STATEMENT_HEADERS["region"], "channel": t("Channel"),
                         "tier": t("Tier"), "last_order_date": t("Last order"),
                         "revenue_12m": kit.money_column(t("Revenue, 12 months"), 2)}
    kit.grid(unassigned, hide_index=True, width="stretch", column_config=unassigned_config)
    _csv(unassigned, unassigned_config, t("unassigned-customers"), "cm_dl_unassigned",
         keys, t("Download unassigned customers (CSV)"))

st.subheader(t("Split accounts"))
st.caption(t("Group-purchase accounts opened by one rep and maintained by another: the developer "
             "and the maintainer side by side. In the month of an account's first order the "
             "developer is credited in full."))
only_rep = st.toggle(t("Only accounts of {rep}", rep=kit.md(chosen["rep_name"])), value=False,
                     key="cm_split_rep")
split = kit.cached(commissions.split_accounts, scope, month,
                   rep_id if only_rep else None)
if split.is_empty():
    kit.empty(t("No split accounts for this choice."))
else:
    split_config = {
        "customer_id": HEADERS["customer_id"],
        "customer_name": HEADERS["customer_name"],
        "order_revenue": kit.money_column(t("Revenue")),
        "developer_name": t("Developer"),
        "developer_credited_revenue": kit.money_column(t("Developer's revenue")),
        "developer_commission": kit.money_column(t("Developer's commission"), 2),
        "maintainer_name": t("Maintainer"),
        "maintainer_credited_revenue": kit.money_column(t("Maintainer's revenue")),
        "maintainer_commission": kit.money_column(t("Maintainer's commission"), 2),
        "has_first_order_month": st.column_config.CheckboxColumn(
            HEADERS["is_first_order_month"]),
    }
    split_view = split.select(list(split_config))
    kit.grid(kit.shown(split_view), hide_index=True, column_config=split_config, key="cm_split",
             phone_columns=["customer_name", "order_revenue", "developer_name",
                            "maintainer_name"])
    _csv(split_view, split_config, t("split-accounts-{month}", month=f"{month:%Y-%m}"),
         "cm_dl_split", keys)

# --- what-if ---------------------------------------------------------------------------------

st.subheader(t("What-if"))
st.caption(t("Re-price a period's commission lines under other rates, shares or accelerator and "
             "compare with the actual, rep by rep. Nothing is saved: the warehouse is not "
             "changed."))

plan = kit.cached(commissions.plan_in_force, scope, month)
if plan is None:
    kit.empty(t("No plan to start from for this month: no plan version covers it (its lines "
                "earn no commission, reason: {reason}).",
                reason=label("no_commission_reason", "no_plan")))
    st.stop()

regions = sorted({r for r in month_statements["region"].to_list() if r})
with st.form(key="cm_whatif_form"):
    period = st.columns([1, 1, 1])
    start_default, end_default = commissions.year_ending(month)
    start_options = [m for m in reversed(months) if m <= month]
    start = period[0].selectbox(t("From"), start_options, format_func=month_labels.get,
                                key="wi_start",
                                index=start_options.index(start_default)
                                if start_default in start_options else 0)
    end = period[1].selectbox(t("To"), [m for m in months if m <= month], key="wi_end",
                              format_func=month_labels.get)
    region_options = [kit.ALL, *regions] if len(regions) > 1 else regions
    region = period[2].selectbox(
        STATEMENT_HEADERS["region"], region_options, key="wi_region",
        format_func={r: t("All regions") if r == kit.ALL else r for r in region_options}.get)

    st.markdown(t("Rates by price band (plan {version} of {month}: {rates})",
                  version=kit.md(plan.version), month=_month_label(month),
                  rates=", ".join(f"{kit.md(label('price_band', band))} "
                                     f"{float(rate) * 100:g} %" for band, rate in plan.rates)))
    rate_columns = st.columns(max(len(plan.rates), 1))
    rates: dict[str, float] = {}
    for column, (band, rate) in zip(rate_columns, plan.rates):
        rates[band] = column.number_input(f"{kit.md(label('price_band', band))} (%)",
                                          min_value=0.0, max_value=100.0,
                                          value=float(rate) * 100, step=0.1, format="%.2f",
                                          key=f"wi_rate_{band}")
    shares = st.columns(4)
    developer_pct = shares[0].number_input(
        t("Developer share (%)"), 0.0, 100.0, float(plan.developer_share) * 100, 5.0,
        format="%.1f", key="wi_developer",
        help=t("Split accounts after the first-order month; the maintainer gets the rest."))
    first_pct = shares[1].number_input(
        t("First-order month developer share (%)"), 0.0, 100.0,
        float(plan.first_order_developer_share) * 100, 5.0, format="%.1f", key="wi_first")
    accelerator = shares[2].number_input(
        t("Accelerator (×)"), 1.0, 5.0, float(plan.accelerator), 0.05, format="%.2f",
        key="wi_accelerator", help=t("Rate multiplier on credited revenue above the quota line."))
    threshold_pct = shares[3].number_input(
        t("Quota line (% of quota)"), 0.0, 500.0, float(plan.quota_threshold) * 100, 5.0,
        format="%.0f", key="wi_threshold")
    submitted = st.form_submit_button(t("Re-price"), type="primary", icon=":material/calculate:")


def _pct_decimal(value: float) -> Decimal:
    return (Decimal(str(round(value, 4))) / 100).quantize(Decimal("0.0001"))


if submitted:
    if end < start:
        st.error(t("The period ends before it starts: pick a later 'To' month."))
    else:
        try:
            edited = commissions.Plan(
                rates=tuple((band, _pct_decimal(v)) for band, v in rates.items()),
                developer_share=_pct_decimal(developer_pct),
                first_order_developer_share=_pct_decimal(first_pct),
                accelerator=Decimal(str(round(accelerator, 4))).quantize(Decimal("0.0001")),
                quota_threshold=_pct_decimal(threshold_pct))
            with kit.spinner(t("Re-pricing the period ...")):
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
    where = t("all regions") if w_region == kit.ALL else kit.md(w_region)
    st.markdown(t("**{start} to {end}, {where}**: {n} commission lines re-priced in {seconds} s",
                  start=_month_label(w_start), end=_month_label(w_end), where=where,
                  n=f"{result.lines:,}", seconds=f"{result.seconds:.2f}"))
    if len(versions) > 1:
        st.info(t("The actual figures use the plan versions {versions}; the what-if applies one "
                  "plan to the whole period.", versions=kit.md(", ".join(versions))))
    totals = st.columns(3)
    totals[0].metric(t("Actual commission"), money(result.actual_total))
    totals[1].metric(t("What-if commission"), money(result.whatif_total))
    totals[2].metric(t("Difference"), money(result.difference))
    per_rep = result.per_rep
    if per_rep.is_empty():
        kit.empty(t("No commission lines in this period."))
    else:
        compare_config = {
            "region": STATEMENT_HEADERS["region"],
            "rep_id": STATEMENT_HEADERS["rep_id"],
            "rep_name": STATEMENT_HEADERS["rep_name"],
            "actual_credited_revenue": kit.money_column(STATEMENT_HEADERS["credited_revenue"]),
            "whatif_credited_revenue": kit.money_column(t("What-if credited revenue")),
            "actual_commission": kit.money_column(t("Actual"), 2),
            "whatif_commission": kit.money_column(t("What-if"), 2),
            "difference": kit.money_column(t("Difference"), 2),
        }
        compare_view = per_rep.select(list(compare_config))
        kit.grid(kit.shown(compare_view), hide_index=True, column_config=compare_config,
                     key="cm_whatif_table")
        _csv(compare_view, compare_config,
             t("commission-whatif-{start}-{end}", start=f"{w_start:%Y-%m}", end=f"{w_end:%Y-%m}"),
             "cm_dl_whatif", keys)
        names = [kit.plot_text(r["rep_name"] or r["rep_id"]) for r in per_rep.iter_rows(named=True)]
        chart = go.Figure([
            go.Bar(name=t("Actual"), x=names, y=per_rep["actual_commission"].cast(pl.Float64)),
            go.Bar(name=t("What-if"), x=names, y=per_rep["whatif_commission"].cast(pl.Float64)),
        ])
        chart.update_layout(title=t("Commission per rep: actual and what-if"), barmode="group",
                            xaxis_title=t("Rep"), yaxis_title=t("Commission (¥)"),
                            yaxis_tickprefix="¥", yaxis_tickformat=",.0f", height=380,
                            margin=dict(t=50, b=10))
        kit.chart(chart, key="cm_whatif_chart")
