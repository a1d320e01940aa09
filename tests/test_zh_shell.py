"""The app shell, Overview, Data and SQL in Chinese: a zh-CN browser sees no English UI words
(screenshots tests/screenshots/zh_overview.png, zh_data.png, zh_sql.png), the sidebar's switch
to English sticks for the session, the allow-list's ``lang`` comes before the browser's, and the
Overview in zh (AppTest) shows its labels in Chinese and a headline figure in 万."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from models import i18n
from models.core import identity
from models.core.errors import UserError
from tests.apptest_util import APP, AUTH, default_month, sql
from tests.browser_util import click_page, wait_for_page
from tests.test_page_overview import revenue
from tests.zh_util import english_words, icon_names, open_zh, page_text, zh_screenshot
from ui.i18n import LANG_KEY

# --- the allow-list's lang -------------------------------------------------------------------


def test_allowlist_lang_is_read_and_checked():
    users = identity.parse_allowlist([
        {"email": "li@example.com", "role": "manager", "region": "城北片区", "lang": "zh-CN"},
        {"email": "ann@example.com", "role": "analyst"},
    ], "allowlist.toml")
    assert users["li@example.com"].lang == "zh-CN"
    assert users["ann@example.com"].lang is None
    # the entry's language comes before the browser's (en) and the server's
    assert i18n.choose_lang(users["li@example.com"].lang, "en-US,en;q=0.9", "en") == "zh-CN"
    assert i18n.choose_lang(users["ann@example.com"].lang, "en-US", "zh-CN") == "en"

    with pytest.raises(UserError) as refused:
        identity.parse_allowlist([{"email": "li@example.com", "role": "rep", "rep_id": "R0001",
                                   "lang": "fr"}], "allowlist.toml")
    assert str(refused.value) == (
        "allowlist.toml has 1 problem(s); nobody is let in until they are fixed: entry 1 "
        "(li@example.com): lang 'fr' is not one of en, zh-CN")


def test_allowlist_lang_is_kept_through_sign_in():
    config = identity.AuthConfig(mode="oidc", explicit=True, header="X", allowlist=Path("x"),
                                 proxy_secret=None, secret_header="Y", server_address=None)
    users = identity.parse_allowlist([{"email": "li@example.com", "role": "admin",
                                       "lang": "zh-CN"}])
    user = identity.identify(config, user_info={"is_logged_in": True, "email": "li@example.com"},
                             allowlist=users)
    assert user.lang == "zh-CN"


def test_a_user_whose_entry_says_zh_gets_chinese_pages(monkeypatch, built_home, tmp_path):
    """Signed in (OIDC) as a manager whose allow-list entry says zh-CN: the landing page, the
    navigation and the sidebar are Chinese (AppTest has no browser language: the entry
    decides, before SALESDESK_LANG=en)."""
    allowlist = tmp_path / "allowlist.toml"
    allowlist.write_text('[[user]]\nemail = "li@example.com"\nrole = "manager"\n'
                         'region = "城北片区"\nname = "Li"\nlang = "zh-CN"\n', encoding="utf-8")
    monkeypatch.setenv("SALESDESK_HOME", str(built_home))
    monkeypatch.setenv("SALESDESK_LANG", "en")
    monkeypatch.delenv("SALESDESK_AUTH_MODE", raising=False)
    monkeypatch.setenv("SALESDESK_ALLOWLIST", str(allowlist))
    at = AppTest.from_file(APP, default_timeout=90)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "li@example.com"}
    at.run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["总览"]
    assert any("当前用户：Li（销售经理，城北片区）" in c.value for c in at.sidebar.caption)
    assert at.sidebar.selectbox(key="salesdesk_lang_switch").value == "zh-CN"


# --- the Overview in zh (AppTest) -------------------------------------------------------------


def test_overview_in_chinese_shows_wan_figures(monkeypatch, built_home):
    monkeypatch.setenv("SALESDESK_HOME", str(built_home))
    monkeypatch.delenv("SALESDESK_AUTH_MODE", raising=False)
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state[LANG_KEY] = "zh-CN"
    at.run()
    at.switch_page("pages/overview.py").run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["总览"]

    month = default_month(built_home)
    shown = {m.label: (m.value, m.help) for m in at.metric}
    this_month = revenue(built_home, month, month)
    value, help_text = shown[f"{i18n.month_label(month, 'zh-CN')}销售额"]
    assert value == i18n.money_short(this_month, "zh-CN")
    assert value.endswith("万") or value.endswith("亿")
    assert help_text.startswith(i18n.money(this_month, "zh-CN"))  # the exact figure on hover
    ytd = revenue(built_home, month.replace(month=1), month)
    assert shown[f"{month.year}年累计销售额"][0] == i18n.money_short(ytd, "zh-CN")

    assert {"活跃", "新客", "衰退", "流失", "实际拜访 / 应拜访", "达标客户周占比"} <= set(shown)
    subheaders = [s.value for s in at.subheader]
    assert subheaders[:2] == ["销售额同比", f"{i18n.month_label(month, 'zh-CN')}客户"]
    assert {"客户分级结构", "拜访达标率"} <= set(subheaders)
    assert [d.label for d in at.get("download_button")][:1] == ["下载预警"]
    # the alert grid: Chinese headers, the alert types' labels beside their codes
    grid = at.dataframe[0]
    (alerts_shown,) = [d for d in [grid] if "alert_type_label" in d.value.columns]
    labels = {i18n.label("alert_type", code, "zh-CN") for code in alerts_shown.value["alert_type"]}
    assert set(alerts_shown.value["alert_type_label"]) == labels
    assert not any(re.search(r"[A-Za-z]{3}", label) for label in labels)


def test_overview_in_english_keeps_the_whole_yuan(monkeypatch, built_home):
    """The same figure in English: ¥ and the whole yuan, no 万."""
    monkeypatch.setenv("SALESDESK_HOME", str(built_home))
    monkeypatch.delenv("SALESDESK_AUTH_MODE", raising=False)
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state[LANG_KEY] = "en"
    at.run()
    at.switch_page("pages/overview.py").run()
    month = default_month(built_home)
    value = {m.label: m.value for m in at.metric}[f"Revenue {month:%b %Y}"]
    assert value == i18n.money(revenue(built_home, month, month), "en", decimals=0)
    assert "万" not in value


# --- in chromium ------------------------------------------------------------------------------


def data_words(home: Path) -> set[str]:
    """The demo's data values that may still be English (regions, districts, names)."""
    words: set[str] = set()
    for query in ("select distinct region from dim_customers",
                  "select distinct coalesce(district, '') from dim_customers",
                  "select distinct coalesce(maintainer_rep_name, '') from dim_customers",
                  "select distinct customer_name from dim_customers"):
        words.update(str(value) for (value,) in sql(home, query))
    return words


# English kept on purpose: the language switch's label is written in both languages (so that
# someone who cannot read the current one finds it), the keys of a keyboard are named as
# printed on them, and the development mode's user is data (models.core.identity.DEV_USER).
SWITCH_LABEL = ["Language"]
KEYS = ["Ctrl", "Enter", "Cmd", "Mac"]
DEV_USER_NAME = [identity.DEV_USER.name]


@pytest.mark.browser
@pytest.mark.parametrize("title_zh, name", [("总览", "overview"), ("数据", "data"),
                                            ("SQL 查询", "sql")])
def test_pages_in_a_chinese_browser(served_app, browser_session, built_home, title_zh, name):
    context, page = open_zh(browser_session, served_app, title_zh)
    try:
        text = page_text(page)
        kept = [*data_words(built_home), *SWITCH_LABEL, *DEV_USER_NAME, *icon_names(page),
                *(KEYS if name == "sql" else [])]
        left = english_words(text, kept)
        path = zh_screenshot(page, name)
        assert left == [], f"{name}: English left on the page: {left}"
        assert re.search(r"[\u4e00-\u9fff]", text)
        assert Path(path).stat().st_size > 0
    finally:
        context.close()


@pytest.mark.browser
def test_switching_to_english_sticks_for_the_session(served_app, browser_session):
    context, page = open_zh(browser_session, served_app, "总览")
    try:
        switch = page.locator('[data-testid="stSidebar"]').get_by_role(
            "combobox", name="Language / 语言")
        english = page.get_by_role("option", name="English", exact=True)
        for _ in range(3):  # a click while the sidebar redraws may not open the list
            switch.click()
            try:
                english.wait_for(timeout=10_000)
                break
            except Exception:  # noqa: BLE001 - not open yet: click again
                continue
        english.click()
        wait_for_page(page, "Overview")
        assert "Revenue against the same months last year" in page_text(page)
        click_page(page, "Data")
        wait_for_page(page, "Data")
        text = page_text(page)
        assert "Data health of the current build" in text
        assert not re.search(r"[\u4e00-\u9fff]{2}", text.replace("简体中文", "")
                             .replace("语言", "")), text[:500]
    finally:
        context.close()
