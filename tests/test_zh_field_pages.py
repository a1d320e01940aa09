"""Commissions, Route planning and Today in Chinese (zh-CN), and their exports.

- AppTest of Commissions with the session's language zh-CN: translated labels, the 万 format of
  a figure read from the warehouse, the Excel statement (sheet names and headers in Chinese) and
  the analysts' option (the English column keys).
- The route plan's exports in Chinese: the HTML day sheet, the CSV headers, the iCalendar events.
- Browser tests (``browser``): each page opened by a zh-CN chromium, no English UI words left in
  the page's main area apart from the data's own words; screenshots tests/screenshots/zh_*.png.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import icalendar
import openpyxl
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from models import i18n
from models.core.scoping import ALL_DATA
from models.core.warehouse import get_warehouse
from models.engines import planner
from models.queries import commissions
from tests.apptest_util import APP, DownloadRecorder, sql
from tests.browser_util import wait_for_page, wait_until_done
from tests.pinned import TODAY
from tests.zh_util import english_words, without_icons, zh_screenshot

ZH = "zh-CN"
CJK = re.compile(r"[\u4e00-\u9fff]")


def zh_page(monkeypatch, home, page: str) -> AppTest:
    """``page`` as the dev-mode admin whose session chose Chinese."""
    monkeypatch.setenv("SALESDESK_HOME", str(home))
    monkeypatch.delenv("SALESDESK_AUTH_MODE", raising=False)
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["salesdesk_lang"] = ZH
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


# --- Commissions in zh under AppTest -----------------------------------------------------------

def test_commissions_in_chinese_shows_translated_labels_and_wan(monkeypatch, built_home):
    recorder = DownloadRecorder(monkeypatch)
    at = zh_page(monkeypatch, built_home, "pages/commissions.py")
    assert [t.value for t in at.title] == ["提成"]
    month = at.selectbox(key="cm_month").value
    rep_id = at.selectbox(key="cm_rep").value
    assert at.selectbox(key="cm_month").label == "月份"
    assert at.selectbox(key="cm_rep").label == "业务员"
    ((credited, total),) = sql(built_home, """
        select credited_revenue, total_commission from rpt_commission_statements
        where rep_id = ? and month_start = ?""", [rep_id, month])
    assert credited >= 10_000  # a figure that 万 applies to

    shown = {m.label: m for m in at.metric}
    assert {"计提销售额", "基础提成", "超额加速", "退货扣回", "提成合计"} <= set(shown)
    # the headline in 万 (¥5,782.98万), the exact figure in the metric's help
    headline = shown["计提销售额"].value
    assert headline == i18n.money_short(credited, ZH) and headline.endswith("万")
    units = Decimal(headline.lstrip("¥").rstrip("万").replace(",", ""))
    assert abs(units * 10_000 - credited) <= 50  # rounded to ¥0.01万 = ¥100
    assert i18n.money(credited) in shown["计提销售额"].proto.help
    assert shown["提成合计"].value == i18n.money(total)
    assert at.subheader[0].value.startswith("提成对账单：")
    assert f"{month.year}年{month.month}月" in at.subheader[0].value
    total_figure = next(e for e in at.expander if e.label.startswith("提成合计："))
    assert "行" in total_figure.label
    assert not [e for e in at.expander if re.search(r"[A-Za-z]{3,}", e.label)]

    # the Excel statement in Chinese: sheet name and headers
    excel = next(b for b in at.get("download_button") if b.label == "下载对账单（Excel）")
    book = openpyxl.load_workbook(io.BytesIO(recorder.data(excel)))
    assert book.sheetnames[0] == "提成对账单" and len(book.sheetnames) > 1
    assert all(len(name) <= 31 and not set(name) & set("[]:*?/\\") for name in book.sheetnames)
    statement_headers = [c.value for c in book.worksheets[0][1]]
    assert {"业务员编号", "业务员", "大区", "计提销售额", "提成合计", "销售指标"} \
        <= set(statement_headers)
    line_headers = [c.value for c in book.worksheets[1][1]]
    assert {"日期", "客户", "产品", "计提销售额", "提成"} <= set(line_headers)
    assert "customer_name" not in line_headers
    statements = commissions.statements(get_warehouse(built_home), ALL_DATA, month)
    assert book.worksheets[0].max_row == statements.height + 1

    # the lines' CSV in Chinese, UTF-8 with a BOM
    lines_csv = next(b for b in at.get("download_button") if b.label == "下载明细（CSV）")
    data = recorder.data(lines_csv)
    assert data.startswith(b"\xef\xbb\xbf")
    assert pl.read_csv(io.BytesIO(data[3:])).columns[:5] == ["日期", "订单", "行号", "客户编号",
                                                            "客户"]

    # the analysts' option: the stable English keys
    at.checkbox(key="cm_dl_keys").check().run()
    assert not at.exception
    excel = next(b for b in at.get("download_button") if b.label == "下载对账单（Excel）")
    book = openpyxl.load_workbook(io.BytesIO(recorder.data(excel)))
    assert book.sheetnames[0] == "Statements"
    assert {"rep_id", "total_commission"} <= {c.value for c in book.worksheets[0][1]}
    assert "customer_name" in [c.value for c in book.worksheets[1][1]]
    lines_csv = next(b for b in at.get("download_button") if b.label == "下载明细（CSV）")
    assert pl.read_csv(io.BytesIO(recorder.data(lines_csv)[3:])).columns == \
        list(commissions.LINE_COLUMNS)


def test_the_statement_headers_follow_the_language(built_home):
    wh = get_warehouse(built_home)
    month = commissions.months(wh, ALL_DATA)[0]
    english = commissions.export_sheets(wh, ALL_DATA, month, lang="en", keys=False)
    chinese = commissions.export_sheets(wh, ALL_DATA, month, lang=ZH, keys=False)
    keys = commissions.export_sheets(wh, ALL_DATA, month)
    assert list(english)[0] == "Statements" and list(chinese)[0] == "提成对账单"
    assert list(keys)[0] == "Statements" and "total_commission" in keys["Statements"].columns
    assert "Total commission" in english["Statements"].columns
    assert "提成合计" in chinese["提成对账单"].columns
    # the same figures under each header
    assert chinese["提成对账单"]["提成合计"].to_list() == \
        keys["Statements"]["total_commission"].to_list()


# --- the route plan's exports in zh --------------------------------------------------------------

@pytest.fixture(scope="module")
def day_plan(built_home) -> planner.RoutePlan:
    wh = get_warehouse(built_home)
    reps = planner.reps(wh, ALL_DATA)
    rep_id = reps.sort(["due_visits", "rep_id"], descending=[True, False])["rep_id"][0]
    return planner.plan_route(wh, ALL_DATA, rep_id, [TODAY], time_limit_s=1, lang=ZH)


def test_the_day_sheet_calendar_and_csv_in_chinese(day_plan):
    rp = day_plan
    assert not rp.visits.is_empty()
    sheet = planner.to_html(rp, lang=ZH)
    assert "<html lang='zh-CN'>" in sheet
    assert f"<h1>{rp.rep.rep_name}（{rp.rep.rep_id}）的拜访</h1>" in sheet
    assert "出发及返回地点" in sheet and "工作时间" in sheet
    assert sheet.count("<div class='notes'>备注：</div>") == rp.visits.height
    assert sheet.count(">导航（") == rp.visits.height
    assert f"<h2>{TODAY.isoformat()}</h2>" in sheet
    assert "Notes:" not in sheet and "Navigate" not in sheet and "Visits of" not in sheet
    english = planner.to_html(rp)
    assert "<div class='notes'>Notes:</div>" in english and "备注" not in english

    csv = planner.to_csv(rp, ZH, keys=False)
    assert csv.startswith(b"\xef\xbb\xbf")
    headers = pl.read_csv(io.BytesIO(csv[3:])).columns
    assert headers[:4] == ["日期", "路序", "客户编号", "客户"] and "可拜访时段" in headers
    assert pl.read_csv(io.BytesIO(planner.to_csv(rp, ZH)[3:])).columns == planner.CSV_COLUMNS

    events = list(icalendar.Calendar.from_ical(planner.to_ics(rp, ZH)).walk("VEVENT"))
    first = rp.visits.row(0, named=True)
    assert str(events[0]["summary"]).startswith(f"1. 拜访 {first['customer_name']}")
    assert "到达" in str(events[0]["description"]) and "导航：" in str(events[0]["description"])


def test_the_cli_writes_chinese_headers_on_request(built_home, tmp_path, monkeypatch):
    from models.pipeline import cli

    monkeypatch.setenv("SALESDESK_HOME", str(built_home))
    wh = get_warehouse(built_home)
    rep_id = planner.reps(wh, ALL_DATA)["rep_id"][0]
    out = tmp_path / "out"
    assert cli.main(["plan", "--rep", rep_id, "--week", f"{TODAY:%Y-%m-%d}", "--day",
                     f"{TODAY:%Y-%m-%d}", "--out", str(out), "--time-limit", "1",
                     "--lang", ZH, "--headers"]) == 0
    (csv,) = out.glob("*.csv")
    assert pl.read_csv(io.BytesIO(csv.read_bytes()[3:])).columns[:2] == ["日期", "路序"]
    (sheet,) = out.glob("*.html")
    assert "备注：" in sheet.read_text(encoding="utf-8")


# --- the pages in a zh-CN chromium ---------------------------------------------------------------

def _data_words(home) -> list[str]:
    """The words of the demo's data that may be English (region names, rep names, the planner's
    reasons and the alerts' details): data, not UI."""
    words: list[str] = []
    for query in ("select distinct region from dim_customers",
                  "select distinct rep_name from rpt_commission_statements",
                  "select distinct detail from fct_customer_alerts",
                  "select distinct customer_name from dim_customers",
                  "select distinct notes from fct_visits"):
        words += [str(v) for (v,) in sql(home, query) if v is not None]
    return words


def _open(browser, url: str, url_path: str, title_zh: str):
    """A zh-CN chromium on the page at ``url_path`` (by its link, whatever the navigation's
    title); waits for the page's Chinese title."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    wait_until_done(page)
    page.locator(f'[data-testid="stSidebarNav"] a[href$="/{url_path}"]').first.click()
    wait_for_page(page, title_zh, timeout_ms=120_000)
    return context, page


# The app shell's dev-mode banner (app.py, "Local development mode: ...") stands above every
# page's own content; its words belong to the shell, translated with app.py and ui/kit.py.
SHELL_BANNER = '[data-testid="stMain"] [data-testid="stAlert"]:has-text("admin"), ' \
               '[data-testid="stMain"] [data-testid="stAlert"]:has-text("管理员")'


def _main_text(page) -> str:
    """The text of the page's main area, without the shell's dev-mode banner (whose English
    words, if any are left, are printed: they are app.py's)."""
    text = page.locator('[data-testid="stMain"]').inner_text()
    for banner in page.locator(SHELL_BANNER).all():
        shell = banner.inner_text()
        print("shell words:", english_words(shell))
        text = text.replace(shell, "")
    # Material icons are drawn from their names (":material/download:" is the text "download"
    # in the icon font): a picture, not a word
    text = without_icons(page, text, '[data-testid="stMain"]')
    return text


def _planner_words(home) -> list[str]:
    """The planner's own texts about the data (why each visit is due, where a rep's day starts
    when the rep file has no base), which models/engines/planner.py writes in English: data of
    the plan, not the page's words."""
    wh = get_warehouse(home)
    words: list[str] = []
    week = planner.week_days(TODAY)
    for rep_id in planner.reps(wh, ALL_DATA)["rep_id"].to_list():
        for dates in (week, [TODAY]):
            words += [str(w) for w in planner.due_list(wh, ALL_DATA, rep_id, dates)["why"]]
        words.append(planner.rep_base(wh, ALL_DATA, rep_id).base_source)
    return words


@pytest.mark.browser
def test_commissions_in_a_chinese_browser(served_app, browser_session, built_home):
    context, page = _open(browser_session, served_app, "commissions", "提成")
    try:
        page.get_by_text("提成对账单：").first.wait_for(timeout=60_000)
        wait_until_done(page)
        text = _main_text(page)
        assert "计提销售额" in text and "模拟测算" in text and "分成客户" in text
        left = english_words(text, data_words=_data_words(built_home))
        zh_screenshot(page, "commissions")
        print("commissions words:", left)
        assert left == [], left
    finally:
        context.close()


@pytest.mark.browser
def test_route_planning_in_a_chinese_browser(served_app, browser_session, built_home):
    context, page = _open(browser_session, served_app, "routes", "路线规划")
    try:
        page.get_by_role("button", name="规划路线").click()
        page.get_by_text("按路序的拜访点").first.wait_for(timeout=180_000)
        wait_until_done(page, timeout_ms=120_000)
        page.locator('[data-testid="stPlotlyChart"]').first.wait_for(timeout=60_000)
        text = _main_text(page)
        assert "待拜访" in text and "已安排拜访" in text and "下载当日拜访单（HTML）" in text
        data = _data_words(built_home) + _planner_words(built_home)
        left = english_words(text, data_words=data)
        zh_screenshot(page, "routes")
        print("routes words:", left)
        assert left == [], left
    finally:
        context.close()


@pytest.mark.browser
def test_today_in_a_chinese_browser(served_app, browser_session, built_home):
    context, page = _open(browser_session, served_app, "today", "今日")
    try:
        page.get_by_text("预警").first.wait_for(timeout=60_000)
        text = _main_text(page)
        assert "拜访点来自" in text and "记录拜访" in text
        data = _data_words(built_home) + _planner_words(built_home)
        left = english_words(text, data_words=data)
        zh_screenshot(page, "today")
        print("today words:", left)
        assert left == [], left
    finally:
        context.close()
