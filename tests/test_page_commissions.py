"""The commissions page under Streamlit's AppTest (via app.py and switch_page) and in chromium:
the statement, the lines behind each figure, the what-if, a manager's view, the Excel file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from models.core.scoping import ALL_DATA, Scope
from models.core.warehouse import get_warehouse
from models.queries import commissions
from ui import kit
from tests.apptest_util import open_page

PAGE = "pages/commissions.py"


def commissions_page(monkeypatch, home: Path, email: str | None = None,
                     allowlist: Path | None = None) -> AppTest:
    """The page as the dev-mode admin, or signed in (OIDC) as ``email``."""
    return open_page(monkeypatch, home, PAGE, "Commissions", email=email, allowlist=allowlist,
                     timeout=120)


def money(text: str) -> Decimal:
    """'¥1,234.56' / '-¥4.31' -> Decimal."""
    sign = -1 if text.startswith("-") else 1
    return sign * Decimal(text.lstrip("-").lstrip("¥").replace(",", ""))


def reprice(at: AppTest) -> None:
    next(b for b in at.button if b.label == "Re-price").click().run()


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_the_statement_shows_and_each_figure_opens_its_lines(monkeypatch, built_home):
    at = commissions_page(monkeypatch, built_home)
    month = at.selectbox(key="cm_month").value
    rep_id = at.selectbox(key="cm_rep").value
    wh = get_warehouse(built_home)
    statement = commissions.statement(wh, ALL_DATA, rep_id, month)
    assert statement is not None
    assert at.subheader[0].value == f"Statement: {kit.md(statement['rep_name'])}, {month:%b %Y}"
    assert money(metric(at, "Total commission")) == statement["total_commission"]
    assert money(metric(at, "Base commission")) == statement["base_commission"]

    # the drill-down: the total's expander lists every line of the statement
    total = next(e for e in at.expander if e.label.startswith("Total commission"))
    assert f"{statement['commission_lines']:,} line(s)" in total.label
    shown = total.dataframe[0].value
    assert len(shown) == statement["commission_lines"]
    assert {"customer_name", "order_id", "sku", "order_revenue", "share", "rate",
            "commission_amount"} <= set(shown.columns)
    assert round(Decimal(str(shown["commission_amount"].astype(float).sum())), 2) == \
        statement["total_commission"]

    # another rep: the statement follows
    other = [r for r in commissions.statements(wh, ALL_DATA, month)["rep_id"] if r != rep_id]
    assert other
    at.selectbox(key="cm_rep").set_value(other[0]).run()
    assert not at.exception
    again = commissions.statement(wh, ALL_DATA, other[0], month)
    assert money(metric(at, "Total commission")) == again["total_commission"]

    labels = [d.label for d in at.get("download_button")]
    assert "Download lines (CSV)" in labels and "Download statements (Excel)" in labels


def test_the_team_table_and_the_split_accounts(monkeypatch, built_home):
    at = commissions_page(monkeypatch, built_home)
    month = at.selectbox(key="cm_month").value
    wh = get_warehouse(built_home)
    team = next(d.value for d in at.dataframe if "total_commission" in d.value.columns
                and "rep_name" in d.value.columns)
    expected = commissions.statements(wh, ALL_DATA, month)
    assert len(team) == expected.height
    assert round(Decimal(str(team["total_commission"].astype(float).sum())), 2) == \
        expected["total_commission"].sum()
    split = next(d.value for d in at.dataframe if "developer_name" in d.value.columns)
    assert len(split) == commissions.split_accounts(wh, ALL_DATA, month).height > 0
    assert {"developer_commission", "maintainer_commission"} <= set(split.columns)


def test_the_whatif_with_doubled_rates_doubles_the_total(monkeypatch, built_home):
    at = commissions_page(monkeypatch, built_home)
    rate_inputs = [n for n in at.number_input if n.key.startswith("wi_rate_")]
    assert rate_inputs
    for field in rate_inputs:
        field.set_value(field.value * 2)
    reprice(at)
    assert not at.exception and not at.error
    start, end, region, result = at.session_state["commissions_whatif"]
    actual, whatif = money(metric(at, "Actual commission")), money(metric(at, "What-if commission"))
    assert actual == result.actual_total and whatif == result.whatif_total
    # every line is rounded to the cent once before and after: a cent or two per line at most
    assert abs(whatif - 2 * actual) <= Decimal("0.03") * result.lines
    assert whatif > Decimal("1.99") * actual > 0
    assert money(metric(at, "Difference")) == whatif - actual
    table = next(d.value for d in at.dataframe if "difference" in d.value.columns)
    assert len(table) == result.per_rep.height
    assert (end - start).days > 300  # a year by default


def test_the_whatif_of_an_unchanged_plan_shows_no_difference(monkeypatch, built_home):
    at = commissions_page(monkeypatch, built_home)
    reprice(at)
    assert not at.exception
    assert money(metric(at, "Difference")) == 0
    assert money(metric(at, "Actual commission")) == money(metric(at, "What-if commission")) > 0


@pytest.fixture()
def north_manager(tmp_path) -> Path:
    path = tmp_path / "allowlist.toml"
    path.write_text('[[user]]\nemail = "mona@example.com"\nrole = "manager"\n'
                    'region = "城北片区"\n')
    return path


def test_a_north_manager_sees_only_north_reps(monkeypatch, built_home, north_manager):
    at = commissions_page(monkeypatch, built_home, "mona@example.com", north_manager)
    month = at.selectbox(key="cm_month").value
    wh = get_warehouse(built_home)
    everyone = commissions.statements(wh, ALL_DATA, month)
    north = everyone.filter(pl.col("region") == "城北片区")
    assert 0 < north.height < everyone.height
    options = at.selectbox(key="cm_rep").options  # labels: 'name (rep id, region)'
    assert len(options) == north.height
    assert all(o.endswith(", 城北片区)") or o == "House account 城北片区" for o in options)
    team = next(d.value for d in at.dataframe if "rep_name" in d.value.columns
                and "total_commission" in d.value.columns)
    assert set(team["region"]) == {"城北片区"}
    assert at.selectbox(key="wi_region").options == ["城北片区"]
    reprice(at)
    _, _, _, result = at.session_state["commissions_whatif"]
    assert set(result.per_rep["region"]) == {"城北片区"}
    manager = commissions.run_whatif(wh, Scope("manager", region="城北片区"),
                                     *commissions.year_ending(month),
                                     commissions.plan_in_force(wh, ALL_DATA, month))
    assert result.actual_total == manager.actual_total


# --- in chromium: open a figure, download the Excel file ---------------------------------------

@pytest.mark.browser
def test_click_a_figure_and_download_the_excel_file(served_app, browser_session, built_home,
                                                    tmp_path):
    from tests.browser_util import screenshot, wait_until_done

    page = browser_session.new_page(viewport={"width": 1400, "height": 1000},
                                    accept_downloads=True)
    try:
        page.goto(served_app)
        wait_until_done(page)
        # app.py's navigation (a fresh server may first list the pages/ folder without it)
        page.locator('[data-testid="stSidebarNav"] a', has_text="Customer card").first \
            .wait_for(timeout=60_000)
        page.locator('[data-testid="stSidebarNav"] a[href$="/commissions"]').first.click()
        page.get_by_text("Statement:").first.wait_for(timeout=60_000)
        wait_until_done(page)
        figure = page.locator('[data-testid="stExpander"] summary',
                              has_text="Total commission").first
        figure.wait_for(timeout=60_000)
        figure.click()
        wait_until_done(page)
        grid = page.locator('[data-testid="stExpander"]', has_text="Total commission").first \
            .locator('[data-testid="stDataFrame"]')
        grid.wait_for(state="visible", timeout=30_000)
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name="Download statements (Excel)").click()
        saved = tmp_path / "statements.xlsx"
        download.value.save_as(saved)
        screenshot(page, "commissions")
        assert "Traceback" not in page.inner_text("body")
    except Exception:
        screenshot(page, "commissions_failed")
        raise
    finally:
        page.close()

    sheets = pl.read_excel(saved, sheet_id=0)
    names = list(sheets)
    assert names[0] == "Statements" and len(names) == sheets["Statements"].height + 1 > 1
    statements = sheets["Statements"]
    month = statements["Month"].cast(pl.Date)[0]  # headers in the page's language
    wh = get_warehouse(built_home)
    expected = commissions.statements(wh, ALL_DATA, month)
    assert sorted(statements["Rep ID"].to_list()) == sorted(expected["rep_id"].to_list())
    assert round(statements["Total commission"].sum(), 2) == \
        float(expected["total_commission"].sum())
    first = expected.row(0, named=True)
    rep_sheet = sheets[commissions.sheet_name(first["rep_id"], first["rep_name"])]
    assert rep_sheet.height == first["commission_lines"]
