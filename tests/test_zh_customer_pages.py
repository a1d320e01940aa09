"""Scoring, Growth, Visits and the customer card in Chinese.

Browser tests: each page opened by a chromium whose language is zh-CN (as a manager's in Jinan)
shows no English UI words in its main area (the sidebar is the app shell's), apart from the
data's own words (names, regions, notes of the demo) and the page kit's words, and leaves a
screenshot ``tests/screenshots/zh_<page>.png``. An AppTest of Scoring in zh-CN checks the labels of
tiers, tier moves and quadrants, and the 万 format of a figure computed from the warehouse.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from models.i18n import label, money, money_short, translate
from models.queries.scoring import QUADRANTS
from tests.apptest_util import APP, default_month, metrics, sql
from tests.browser_util import wait_until_done
from tests.zh_util import english_words, without_icons, zh_screenshot

ZH = "zh-CN"

# Words of the page kit (ui/kit.py) still in English while the kit is being translated: the
# download buttons' label and the as-booked / current-book switch (kit.attribution_view).
# Theirs, not these pages'; kept apart so the list stays short.
KIT_WORDS = ("Download CSV", "Credit revenue", "As booked", "Current book")
# The app shell's (app.py) development-mode banner, drawn above every page: not these pages'.
SHELL_BANNER = '[data-testid="stAlert"]:has-text("sign-in")'



def zh(msgid: str) -> str:
    return translate(ZH, msgid)


# --- the AppTest of Scoring in zh-CN -----------------------------------------------------------

def open_scoring_zh(monkeypatch, home: Path) -> AppTest:
    monkeypatch.setenv("SALESDESK_HOME", str(home))
    monkeypatch.delenv("SALESDESK_AUTH_MODE", raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["salesdesk_lang"] = ZH
    at.run()
    at.switch_page("pages/scoring.py").run()
    assert not at.exception, at.exception
    return at


def test_scoring_in_chinese_labels_and_wan(monkeypatch, built_home):
    at = open_scoring_zh(monkeypatch, built_home)
    assert [t.value for t in at.title] == ["客户分级"]
    month = default_month(built_home)
    shown = metrics(at)

    # tier labels: S is the key account tier, the letters stay letters
    tiers = dict(sql(built_home, """
        select t.tier, count(*) from fct_customer_tiers as t
        join dim_customers as d on d.customer_id = t.customer_id
        where t.month_start = ? group by t.tier""", [month]))
    assert shown["客户数：S（重点客户）"] == f"{tiers.get('S', 0):,}"
    assert shown["客户数：A"] == f"{tiers.get('A', 0):,}"
    assert shown["客户数"] == f"{sum(tiers.values()):,}"

    # the headline revenue in 万, computed from the warehouse; the exact figure in its help
    (total,), = sql(built_home, """
        select sum(greatest(t.avg_monthly_revenue, 0)) from fct_customer_tiers as t
        join dim_customers as d on d.customer_id = t.customer_id
        where t.month_start = ?""", [month])
    expected = money_short(total, ZH)
    assert expected.endswith("万") and expected.startswith("¥")
    headline = next(m for m in at.metric if m.label == "月均销售额")
    assert headline.value == expected
    assert money(total, ZH) in headline.proto.help

    # the priority matrix's quadrants by their Chinese labels, counted as in the mart
    quadrants = dict(sql(built_home,
                         "select quadrant, count(*) from fct_customer_scores group by 1"))
    assert shown["1 · 速赢"] == f"{quadrants.get('quick_win', 0):,}"
    assert shown["4 · 缩减或放弃"] == f"{quadrants.get('reduce', 0):,}"
    assert {f"{p} · {label('quadrant', q, ZH)}" for p, q, _ in QUADRANTS} <= set(shown)

    # the tier table shows tier moves and stages by their labels, the codes stay in the marts
    table = next(d for d in at.dataframe if d.key == "scoring_tier_table").value
    moves = {label("tier_move", code, ZH) for code in ("new", "up", "down", "same")}
    assert set(table["tier_move"].dropna()) <= moves and set(table["tier_move"].dropna())
    stages = {label("lifecycle_stage", code, ZH) for code in
              ("prospect", "new", "growing", "mature", "declining", "churned")}
    assert set(table["lifecycle_stage"].dropna()) <= stages

    # the migration chart's axes in Chinese months, the checklist's columns in Chinese
    assert shown["升级"] and shown["等级不变"]
    checklist = next(d for d in at.dataframe if d.key == "scoring_checklist")
    assert "客户评估" in zh("Answered by an assessment") and len(checklist.value)
    texts = " ".join([s.value for s in at.subheader] + [c.value for c in at.caption])
    assert english_words(texts, data_words=_data_words(built_home)) == []


# --- zh-CN browser tests -------------------------------------------------------------------------

def _data_words(home: Path) -> list[str]:
    """The demo's own text the pages show as data (names, regions, districts, addresses,
    products, notes, alert details), while the demo is still English."""
    queries = [
        "select distinct customer_name from dim_customers",
        "select distinct region from dim_customers",
        "select distinct district from dim_customers",
        "select distinct address from dim_customers",
        "select distinct contact_name from dim_customers",
        "select distinct maintainer_rep_name from dim_customers",
        "select distinct developer_rep_name from dim_customers",
        "select distinct product_name from fct_customer_order_lines",
        "select distinct category from fct_customer_order_lines",
        "select distinct notes from fct_visits",
        "select distinct next_step from fct_visits",
        "select distinct rep_name from fct_visits",
        "select distinct detail from fct_customer_alerts",
    ]
    words: list[str] = []
    for query in queries:
        try:
            words += [str(v) for (v,) in sql(home, query) if v is not None]
        except Exception:  # noqa: BLE001 - a mart without that column: nothing to skip
            continue
    return words


NAV = '[data-testid="stSidebarNav"] a'
HEADING = """(title) => { const h = document.querySelector('[data-testid="stMain"] h1');
                          return h !== null && h.innerText.trim() === title; }"""


def _open_zh(browser, url: str, path: str, title_zh: str):
    """A zh-CN browser signed in through the app's start page, then on the page at ``path``
    (its url path, so the test does not depend on the navigation's wording), once drawn."""
    context = browser.new_context(locale=ZH, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    for _ in range(3):
        page.goto(url)
        page.wait_for_selector(NAV, timeout=60_000)
        wait_until_done(page)
        # a fresh server's first run may list the pages/ folder (with "app") instead of
        # app.py's navigation: load again
        if "app" not in [t.strip() for t in page.locator(NAV).all_inner_texts()]:
            break
    page.locator(f'{NAV}[href$="/{path}"]').first.click()
    page.wait_for_function(HEADING, arg=title_zh, timeout=60_000)
    wait_until_done(page)
    return context, page


def _main_text(page) -> str:
    # expanders' contents count too: open them first
    for summary in page.locator('[data-testid="stMain"] [data-testid="stExpander"] summary').all():
        summary.click()
    wait_until_done(page)
    text = page.locator('[data-testid="stMain"]').inner_text()
    # not words: the names of Material icons (drawn from their ligatures, "download"), and the
    # shell's banner (see SHELL_BANNER)
    for shown in page.locator(SHELL_BANNER).all_inner_texts():
        text = text.replace(shown, " ")
    text = without_icons(page, text, '[data-testid="stMain"]')
    return text


def _assert_chinese(page, home: Path, name: str) -> None:
    text = _main_text(page)
    zh_screenshot(page, name)
    assert page.locator('[data-testid="stException"]').count() == 0, text[:2000]
    left = english_words(text, data_words=[*_data_words(home), *KIT_WORDS])
    assert left == [], f"{name}: English words left in the main area: {left}"
    assert sum("\u4e00" <= ch <= "\u9fff" for ch in text) > 100


PAGES = [
    ("scoring", "Scoring", "scoring"),
    ("growth", "Growth", "growth"),
    ("visits", "Visits", "visits"),
]


@pytest.mark.browser
@pytest.mark.parametrize(("path", "title", "name"), PAGES)
def test_page_in_chinese(served_app, browser_session, built_home, path, title, name):
    context, page = _open_zh(browser_session, served_app, path, zh(title))
    try:
        _assert_chinese(page, built_home, name)
    finally:
        context.close()


@pytest.mark.browser
def test_customer_card_in_chinese(served_app, browser_session, built_home):
    # the busiest customer: every section of the card has something to show
    (customer_id,), = sql(built_home, """
        select customer_id from fct_visits group by customer_id
        order by count(*) desc, customer_id limit 1""")
    context, page = _open_zh(browser_session, served_app, "customer", zh("Customer card"))
    try:
        choose = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').first
        choose.click()
        page.keyboard.type(customer_id)
        page.locator('[role="option"]', has_text=f"({customer_id})").first.click()
        page.locator('[data-testid="stMain"] h2').first.wait_for(timeout=60_000)
        wait_until_done(page)
        _assert_chinese(page, built_home, "customer")
    finally:
        context.close()
