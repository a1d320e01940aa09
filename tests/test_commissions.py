"""Commissions (SPEC 9) on the built demo warehouse: the marts reconcile with the staged order
lines in Python (an independent pricing of every line from the seed), statements equal their
lines, the drill-down adds up to every figure, the scopes hold, and the what-if re-prices
exactly without writing anything."""

from __future__ import annotations

import json
import os
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import polars as pl
import pytest

from models.core import exports, settings
from models.core.scoping import ALL_DATA, Scope
from models.core.warehouse import get_warehouse
from models.queries import commissions

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "dbt_project" / "seeds" / "commission_plan.csv"
CENT, BASIS = Decimal("0.01"), Decimal("0.0001")


@pytest.fixture(scope="module")
def wh(built_home):
    return get_warehouse(built_home)


@pytest.fixture(scope="module")
def lines(wh) -> pl.DataFrame:
    return wh.query("select * from fct_commission_lines")


@pytest.fixture(scope="module")
def busy_month(wh) -> date:
    """A complete month with split accounts, returns and accelerated lines."""
    return wh.scalar("""
        select month_start from fct_commission_lines
        group by month_start
        having bool_or(is_split_account) and bool_or(is_return)
            and bool_or(accelerated_revenue <> 0)
        order by month_start desc limit 1 offset 1""")


def _round(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)  # half away from zero, like SQL


def test_every_order_line_is_credited_in_full_and_priced_by_the_seed(wh, lines):
    sales = wh.query("""
        select s.order_id, s.line_number, s.order_date, s.revenue,
               coalesce(p.price_band, 'unbanded') as price_band
        from staging.stg_sales_lake__sales s join staging.stg_sales_lake__products p using (sku)""")
    assert sales.height > 1000
    # The plan, read from the seed file itself, and each line priced in Python.
    plan = pl.read_csv(SEED, try_parse_dates=True)
    rates = {(r["price_band"]): (r["valid_from"], r["valid_to"], Decimal(str(r["rate"])))
             for r in plan.iter_rows(named=True)}
    assert plan.height == 4, "the demo expects one plan version; extend this test for more"
    expected = {}
    for row in sales.iter_rows(named=True):
        valid_from, valid_to, rate = rates[row["price_band"]]
        assert valid_from <= row["order_date"] and (valid_to is None
                                                    or row["order_date"] <= valid_to)
        expected[(row["order_id"], row["line_number"])] = (
            row["revenue"], _round(row["revenue"] * rate, CENT))

    per_line = lines.group_by("order_id", "line_number").agg(
        pl.col("credited_revenue").sum(), pl.col("base_commission").sum(),
        pl.col("share").sum(), pl.len().alias("n"))
    assert per_line.height == len(expected)  # every order line, nothing else
    for row in per_line.iter_rows(named=True):
        revenue, commission = expected[(row["order_id"], row["line_number"])]
        assert row["share"] == 1
        assert row["credited_revenue"] == revenue
        assert row["base_commission"] == commission
    assert lines["credited_revenue"].sum() == sales["revenue"].sum()
    assert lines["base_commission"].sum() == sum(c for _, c in expected.values())


def test_split_accounts_credit_30_70_and_the_first_order_month_to_the_developer(lines):
    split = lines.filter(pl.col("is_split_account"))
    broken = ("demo guarantee broken: a split account whose first order month is inside the "
              "history, with later months (demo.make_customers)")
    assert split.height > 0, broken
    assert split.group_by("order_id", "line_number").len()["len"].unique().to_list() == [2]
    developer = split.filter(pl.col("account_role") == "developer")
    first = developer.filter(pl.col("is_first_order_month"))
    later = developer.filter(~pl.col("is_first_order_month"))
    assert first.height > 0 and later.height > 0, broken
    assert first["share"].unique().to_list() == [Decimal("1")]
    assert later["share"].unique().to_list() == [Decimal("0.3")]
    # rounding: the developer gets round(order commission x share), the maintainer the rest
    for row in later.head(200).iter_rows(named=True):
        order_commission = _round(row["order_revenue"] * row["rate"], CENT)
        assert row["base_commission"] == _round(order_commission * row["share"], CENT)
        assert row["credited_revenue"] == _round(row["order_revenue"] * row["share"], BASIS)
    others = lines.filter(~pl.col("is_split_account"))
    assert others["share"].unique().to_list() == [Decimal("1")]


def test_house_lines_are_outside_the_reps_employment(wh, lines):
    reps = wh.query("select rep_id, hired_date, left_date from staging.stg_sales_lake__reps")
    house = lines.filter(pl.col("is_house")).join(reps, left_on="account_rep_id",
                                                  right_on="rep_id")
    assert house.filter(pl.col("house_reason") == "rep_left").height > 0, (
        "demo guarantee broken: a house account ordering after its rep left (demo._assign_reps)")
    outside = (pl.col("order_date") > pl.col("left_date")) | (
        pl.col("order_date") < pl.col("hired_date"))
    assert house.filter(~outside).is_empty()
    assert (house["rep_id"] == "HOUSE-" + house["region"]).all()
    credited = lines.filter(~pl.col("is_house")).join(reps, left_on="rep_id", right_on="rep_id")
    assert credited.filter(outside.fill_null(False)).is_empty()
    assert house["sales_quota"].null_count() == house.height  # never accelerated
    assert (house["accelerated_revenue"] == 0).all()


def test_the_accelerator_pays_only_above_the_quota_line(wh):
    statements = wh.query("select * from rpt_commission_statements")
    above = statements.filter(pl.col("credited_revenue") > pl.col("quota_line"))
    assert above.height > 0
    for row in statements.iter_rows(named=True):
        if row["quota_line"] is None or row["credited_revenue"] <= row["quota_line"]:
            assert row["accelerated_revenue"] == 0
        else:
            assert row["accelerated_revenue"] == row["credited_revenue"] - row["quota_line"]


def test_statements_equal_their_lines_and_teams_their_statements(wh, lines):
    statements = wh.query("select * from rpt_commission_statements")
    sums = lines.group_by("rep_id", "month_start").agg(
        pl.col("commission_amount").sum().alias("lines_total"),
        pl.col("credited_revenue").sum().alias("lines_revenue"))
    joined = statements.join(sums, on=["rep_id", "month_start"], how="full", coalesce=True)
    assert joined.height == statements.height == sums.height
    assert (joined["total_commission"] == joined["lines_total"]).all()
    assert (joined["credited_revenue"] == joined["lines_revenue"]).all()
    parts = (joined["base_commission"] + joined["accelerator_commission"]
             + joined["clawback_commission"])
    assert (parts == joined["total_commission"]).all()
    assert (statements["clawback_commission"] <= 0).all()
    teams = wh.query("select * from rpt_commission_team_statements")
    assert teams["total_commission"].sum() == statements["total_commission"].sum()


def test_every_figure_drills_down_to_the_lines_that_make_it(wh, busy_month):
    shown = commissions.statements(wh, ALL_DATA, busy_month)
    assert shown.height > 2
    checked = set()
    for rep_id in shown["rep_id"]:
        statement = commissions.statement(wh, ALL_DATA, rep_id, busy_month)
        lines = commissions.statement_lines(wh, ALL_DATA, rep_id, busy_month)
        for figure in commissions.FIGURES:
            behind = commissions.lines_behind(lines, figure.key)
            total = behind[figure.line_column].sum() if behind.height else 0
            assert total == statement[figure.key], (rep_id, figure.key)
            if behind.height:
                checked.add(figure.key)
    assert {"credited_revenue_developer", "credited_revenue_maintainer", "returned_revenue",
            "accelerator_commission", "clawback_commission", "total_commission"} <= checked


def test_a_manager_sees_the_region_with_its_house_account_and_a_rep_only_their_own(wh, lines):
    house_region = lines.filter(pl.col("is_house"))["region"][0]
    manager = Scope("manager", region=house_region)
    seen = wh.query("select distinct month_start from fct_commission_lines where is_house "
                    "and region = $r order by 1 desc", {"r": house_region})["month_start"][0]
    statements = commissions.statements(wh, manager, seen)
    assert statements.height > 0 and set(statements["region"]) == {house_region}
    assert f"HOUSE-{house_region}" in statements["rep_id"].to_list()
    everyone = commissions.statements(wh, ALL_DATA, seen)
    assert everyone.height > statements.height
    teams = commissions.team_statements(wh, manager, seen)
    assert set(teams["region"]) == {house_region}

    rep_id = statements.filter(~pl.col("is_house"))["rep_id"][0]
    rep = Scope("rep", rep_id=rep_id)
    own = commissions.statements(wh, rep, seen)
    assert own["rep_id"].to_list() == [rep_id]
    assert set(commissions.rep_lines(wh, rep, seen)["rep_id"]) == {rep_id}
    assert commissions.statement(wh, rep, f"HOUSE-{house_region}", seen) is None


def test_the_excel_export_has_one_sheet_per_rep(wh, busy_month):
    sheets = commissions.export_sheets(wh, ALL_DATA, busy_month)
    statements = commissions.statements(wh, ALL_DATA, busy_month)
    names = list(sheets)
    assert names[0] == "Statements" and len(names) == statements.height + 1
    assert len(set(names)) == len(names) and all(len(n) <= 31 for n in names)
    for row in statements.iter_rows(named=True):
        sheet = sheets[commissions.sheet_name(row["rep_id"], row["rep_name"])]
        assert sheet.height == row["commission_lines"]
        assert round(sheet["commission_amount"].sum(), 2) == float(row["total_commission"])


# --- the what-if --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def year(wh, busy_month) -> tuple[date, date, commissions.Plan, pl.DataFrame]:
    start, end = commissions.year_ending(busy_month)
    plan = commissions.plan_in_force(wh, ALL_DATA, end)
    assert plan is not None and plan.version
    return start, end, plan, commissions.whatif_lines(wh, ALL_DATA, start, end)


def test_the_unchanged_plan_reproduces_the_mart_to_the_cent_for_every_rep_and_month(wh):
    """The what-if runs the build's own pricing: re-priced under the plan in force, every line of
    every month with a plan equals fct_commission_lines, and every rep's month its statement."""
    months = wh.query("select distinct month_start from fct_commission_lines "
                      "where plan_version is not null order by 1")["month_start"].to_list()
    assert len(months) >= 12
    repriced = []
    for month in months:
        plan = commissions.plan_in_force(wh, ALL_DATA, month)
        lines = commissions.whatif_lines(wh, ALL_DATA, month, month)
        repriced.append(commissions.reprice(wh, lines, plan))
    every = pl.concat(repriced)
    assert every.height == wh.scalar("select count(*) from fct_commission_lines "
                                     "where no_commission_reason is null")
    for actual, whatif in (("share", "whatif_share"), ("rate", "whatif_rate"),
                           ("credited_revenue", "whatif_credited_revenue"),
                           ("base_commission", "whatif_base_commission"),
                           ("accelerated_revenue", "whatif_accelerated_revenue"),
                           ("accelerator_commission", "whatif_accelerator_commission"),
                           ("commission_amount", "whatif_commission")):
        assert (every[actual] == every[whatif]).all(), actual
    assert (every["accelerated_revenue"] != 0).any()  # the accelerator was exercised
    per_rep_month = every.group_by("rep_id", "month_start").agg(
        pl.col("whatif_commission").sum().alias("whatif"))
    statements = wh.query("select rep_id, month_start, total_commission from "
                          "rpt_commission_statements where total_commission <> 0")
    joined = statements.join(per_rep_month, on=["rep_id", "month_start"], how="full",
                             coalesce=True)
    assert joined.height == statements.height
    assert (joined["total_commission"] == joined["whatif"]).all()


def test_the_unchanged_plan_reproduces_the_actual_of_a_year(wh, year):
    start, end, plan, lines = year
    assert lines.height > 1000
    result = commissions.compare(wh, lines, plan)
    assert result.whatif_total == result.actual_total == lines["commission_amount"].sum()
    assert (result.per_rep["difference"] == 0).all()


def test_an_edited_rate_changes_exactly_the_lines_of_its_band(wh, year):
    _, _, plan, lines = year
    assert plan.rate("mid") == Decimal("0.02")
    repriced = commissions.reprice(wh, lines, plan.with_rates(
        {**dict(plan.rates), "mid": Decimal("0.05")}))
    mid = repriced.filter(pl.col("price_band") == "mid")
    others = repriced.filter(pl.col("price_band") != "mid")
    assert mid.height > 100 and others.height > 100
    assert (mid["whatif_rate"] == Decimal("0.05")).all()
    # Every other line keeps every figure, to the cent.
    for actual, whatif in (("rate", "whatif_rate"), ("base_commission", "whatif_base_commission"),
                           ("accelerator_commission", "whatif_accelerator_commission"),
                           ("commission_amount", "whatif_commission")):
        assert (others[actual] == others[whatif]).all(), actual
    # The band's lines that earned anything earn more (or claw back more), at 5 % not 2 %.
    earning = mid.filter(pl.col("commission_amount") != 0)
    assert earning.height > 100
    assert (earning["whatif_commission"].abs() > earning["commission_amount"].abs()).all()
    expected = [_round(r * Decimal("0.05"), CENT) for r in
                mid.filter(pl.col("share") == 1)["order_revenue"]]
    assert mid.filter(pl.col("share") == 1)["whatif_base_commission"].to_list() == expected
    # The credit does not move: shares and credited revenue are the rate's business of no one.
    assert (repriced["credited_revenue"] == repriced["whatif_credited_revenue"]).all()


def test_doubled_rates_double_the_commission(wh, year):
    _, _, plan, lines = year
    result = commissions.compare(wh, lines, plan.scaled(2))
    # Each line is rounded once to the cent, before and after: doubling can differ by a cent or
    # two per line (base, split and accelerator), never more.
    assert abs(result.whatif_total - 2 * result.actual_total) <= Decimal("0.03") * lines.height
    assert result.whatif_total > Decimal("1.99") * result.actual_total
    assert (result.per_rep["whatif_credited_revenue"]
            == result.per_rep["actual_credited_revenue"]).all()


def test_shares_and_accelerator_move_the_right_amounts(wh, year):
    _, _, plan, lines = year
    # No accelerator: the actual minus exactly the accelerator's extra.
    flat = commissions.compare(wh, lines, commissions.Plan(
        rates=plan.rates, developer_share=plan.developer_share,
        first_order_developer_share=plan.first_order_developer_share,
        accelerator=Decimal("1"), quota_threshold=plan.quota_threshold))
    assert flat.whatif_total == flat.actual_total - lines["accelerator_commission"].sum()
    # Another developer share moves credit between reps; the total credited stays whole.
    moved = commissions.compare(wh, lines, commissions.Plan(
        rates=plan.rates, developer_share=Decimal("0.5"),
        first_order_developer_share=Decimal("0.5"), accelerator=plan.accelerator,
        quota_threshold=plan.quota_threshold))
    per_rep = moved.per_rep
    assert (per_rep["whatif_credited_revenue"] != per_rep["actual_credited_revenue"]).any()
    assert per_rep["whatif_credited_revenue"].sum() == per_rep["actual_credited_revenue"].sum()
    repriced = commissions.reprice(wh, lines, commissions.Plan(
        rates=plan.rates, developer_share=Decimal("0.5"),
        first_order_developer_share=Decimal("0.5"), accelerator=plan.accelerator,
        quota_threshold=plan.quota_threshold))
    shares = repriced.group_by("order_id", "line_number").agg(pl.col("whatif_share").sum())
    assert (shares["whatif_share"] == 1).all()


def test_the_whatif_runs_the_pricing_sql_of_the_build_it_reads(wh, year):
    """The what-if's SQL is the build's compiled model, made of the pricing macros (no copy in
    Python); a build without it is refused with a message, never a traceback."""
    sql = commissions.whatif_sql(wh)
    assert "whatif_lines" in sql and "credited_split" in sql and "repriced_running" in sql
    assert not hasattr(commissions, "_REPRICE_SQL")
    source = (ROOT / "models" / "queries" / "commissions.py").read_text(encoding="utf-8")
    assert "round(" not in source.split("WHATIF_MODEL =")[1]  # no pricing arithmetic here


def test_a_build_without_the_compiled_whatif_is_refused_with_a_message(built_home, tmp_path,
                                                                      year):
    """An older build (before the what-if was a dbt model) has no compiled what-if: a message
    that says to build again."""
    from models.core.errors import UserError
    from models.core.warehouse import Warehouse

    _, _, plan, lines = year
    current = get_warehouse(built_home).current_file()
    folder = settings.warehouse_dir(tmp_path)
    folder.mkdir(parents=True)
    os.link(current, folder / current.name)  # the same build file, another data folder
    (folder / "current.duckdb").symlink_to(current.name)
    target = folder / current.name.replace(".duckdb", ".dbt") / "target"
    target.mkdir(parents=True)
    manifest = json.loads((current.parent / current.name.replace(".duckdb", ".dbt") / "target"
                           / "manifest.json").read_text(encoding="utf-8"))
    (target / "manifest.json").write_text(json.dumps(manifest))
    old = Warehouse(tmp_path)
    assert old.current_file() == folder / current.name
    assert commissions.compare(old, lines, plan).whatif_total == lines["commission_amount"].sum()
    manifest["nodes"] = {k: v for k, v in manifest["nodes"].items()
                         if v.get("name") != commissions.WHATIF_MODEL}
    (target / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(UserError, match=r"has none \(no model int_commission_lines_repriced in "
                                        r".*manifest.json\): it was made by an older version. "
                                        r"Build again \(salesdesk build, or the Data page\)"):
        commissions.compare(old, lines, plan)


def test_a_bad_plan_is_refused_with_a_message(year):
    _, _, plan, _ = year
    from models.core.errors import UserError

    with pytest.raises(UserError, match="developer share must be between 0 and 1"):
        commissions.Plan(rates=plan.rates, developer_share=Decimal("1.5"),
                         first_order_developer_share=Decimal("1"),
                         accelerator=Decimal("1.2"), quota_threshold=Decimal("1"))
    with pytest.raises(UserError, match="accelerator must be at least 1"):
        commissions.Plan(rates=plan.rates, developer_share=Decimal("0.3"),
                         first_order_developer_share=Decimal("1"),
                         accelerator=Decimal("0.5"), quota_threshold=Decimal("1"))


def test_the_whatif_of_a_region_writes_nothing(wh, built_home, busy_month):
    current = wh.current_file()
    before = (current.stat().st_size, current.stat().st_mtime_ns, wh.tables())
    folder = settings.warehouse_dir(built_home)
    files_before = sorted(p.name for p in folder.iterdir())
    start, end = commissions.year_ending(busy_month)
    region = wh.scalar("select region from rpt_commission_statements group by region "
                       "order by sum(total_commission) desc limit 1")
    plan = commissions.plan_in_force(wh, ALL_DATA, end)
    result = commissions.run_whatif(wh, Scope("manager", region=region), start, end,
                                    plan.scaled(2), region=region)
    assert result.lines > 0 and set(result.per_rep["region"]) == {region}
    assert result.whatif_total > result.actual_total > 0
    after = (current.stat().st_size, current.stat().st_mtime_ns, wh.tables())
    assert after == before
    assert sorted(p.name for p in folder.iterdir()) == files_before
    assert wh.current_file() == current


def test_the_excel_bytes_open_with_one_sheet_per_rep(wh, busy_month):
    sheets = commissions.export_sheets(wh, ALL_DATA, busy_month)
    read = pl.read_excel(exports.xlsx_bytes(sheets), sheet_id=0)
    assert list(read) == list(sheets)
    assert read["Statements"].height == sheets["Statements"].height
