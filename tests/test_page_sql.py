"""Sign-in, roles and the SQL page under Streamlit's AppTest, on the built demo warehouse.

OIDC sign-in is simulated the way AppTest allows: ``at.secrets`` holds an [auth] section (so the
app picks oidc mode) and ``at.user`` is what ``st.user`` returns. Header mode cannot be driven
by AppTest (it sets no request headers); it is tested as a function in test_access.py.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from models.core.errors import UserError
from models.engines import adhoc
from ui import kit

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-only",
        "client_id": "test", "client_secret": "test-only",
        "server_metadata_url": "https://login.example.com/.well-known/openid-configuration"}


@pytest.fixture()
def allowlist(tmp_path) -> Path:
    path = tmp_path / "allowlist.toml"
    path.write_text('[[user]]\nemail = "ana@example.com"\nrole = "analyst"\n\n'
                    '[[user]]\nemail = "mona@example.com"\nrole = "manager"\nregion = "城北片区"\n')
    return path


def app(monkeypatch, home: Path, *, email: str | None = None, allowlist: Path | None = None,
        logged_in: bool = True) -> AppTest:
    """The app in dev mode (no email) or in oidc mode signed in as ``email``."""
    monkeypatch.setenv("SALESDESK_HOME", str(home))
    monkeypatch.delenv("SALESDESK_AUTH_MODE", raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    if email is not None:
        monkeypatch.setenv("SALESDESK_ALLOWLIST", str(allowlist))
        at.secrets["auth"] = AUTH
        at.user = {"is_logged_in": logged_in, "email": email}
    at.run()
    assert not at.exception, at.exception
    return at


def page_titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def test_dev_mode_shows_the_banner_and_offers_the_sql_page(monkeypatch, built_home):
    # (AppTest runs a switched-to page without app.py, so the banner above the SQL page is
    # checked in the browser test below.)
    at = app(monkeypatch, built_home)
    assert page_titles(at) == ["Data"]
    assert any("Local development mode" in w.value for w in at.warning)
    assert any("Signed in as Local developer (admin)" in c.value for c in at.sidebar.caption)
    at.switch_page("pages/sql.py").run()
    assert not at.exception and page_titles(at) == ["SQL"]


def test_an_unknown_user_is_not_authorised(monkeypatch, built_home, allowlist):
    at = app(monkeypatch, built_home, email="eve@example.com", allowlist=allowlist)
    assert page_titles(at) == ["Not authorised"]
    assert "eve@example.com is not on the sales desk's allow-list" in at.error[0].value
    assert not any("Local development mode" in w.value for w in at.warning)
    for page in ("pages/data.py", "pages/sql.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)


def test_a_signed_out_user_is_asked_to_sign_in(monkeypatch, built_home, allowlist):
    at = app(monkeypatch, built_home, email="ana@example.com", allowlist=allowlist,
             logged_in=False)
    assert page_titles(at) == ["Sales desk"]
    assert [b.label for b in at.button] == ["Sign in"]
    with pytest.raises(ValueError):
        at.switch_page("pages/sql.py")


def test_an_analyst_runs_a_query_and_downloads_it(monkeypatch, built_home, allowlist):
    at = app(monkeypatch, built_home, email="ana@example.com", allowlist=allowlist)
    assert page_titles(at) == ["Data"]
    assert any("Signed in as ana@example.com (analyst)" in c.value for c in at.sidebar.caption)
    assert not any("Local development mode" in w.value for w in at.warning)
    at.switch_page("pages/sql.py").run()
    assert not at.exception and page_titles(at) == ["SQL"]

    # the schema browser lists the marts, not staging
    expanders = [e.label for e in at.expander]
    assert "`dim_customers`" in expanders and "`fct_customer_tiers`" in expanders
    assert not any("stg_" in label or "int_" in label for label in expanders)

    # a saved example fills the editor; Run shows the result and the downloads
    at.selectbox(key="sql_example").set_value(adhoc.EXAMPLES[0].title).run()
    assert at.text_area(key="sql_text").value == adhoc.EXAMPLES[0].sql
    at.button[0].click().run()
    assert not at.exception and not at.error
    result = at.session_state["sql_result"]
    assert isinstance(result, adhoc.QueryResult) and result.rows > 0
    shown = at.dataframe[0].value
    assert list(shown.columns) == ["region", "tier", "customers", "revenue_12m"]
    assert len(shown) == result.rows
    assert any(f"{result.rows:,} row(s) in" in c.value for c in at.caption)

    downloads = at.get("download_button")
    assert [d.label for d in downloads] == ["Download CSV", "Download Parquet"]
    downloads[0].click().run()
    assert not at.exception
    csv = adhoc.csv_bytes(at.session_state["sql_result"].frame)
    assert pl.read_csv(csv[3:])["customers"].sum() == result.frame["customers"].sum()

    # a hostile query is refused with a message, and the page keeps working
    at.text_area(key="sql_text").input("copy dim_customers to '/tmp/leak.csv'")
    at.button[0].click().run()
    assert not at.exception
    assert "Only queries that read can run here" in at.error[0].value


def test_a_runaway_query_shows_a_message_not_a_traceback(monkeypatch, built_home):
    monkeypatch.setattr(adhoc, "DEFAULT_TIMEOUT_S", 1)
    at = app(monkeypatch, built_home)
    at.switch_page("pages/sql.py").run()
    at.text_area(key="sql_text").input("select count(*) from range(100000000) a, "
                                       "range(100000000) b")
    at.button[0].click().run()
    assert not at.exception
    assert "The query ran longer than 1 s and was stopped" in at.error[0].value


def test_a_busy_server_says_so_and_a_trailing_comment_is_fine(monkeypatch, built_home):
    import threading
    import time

    monkeypatch.setenv("SALESDESK_SQL_WORKERS", "1")
    monkeypatch.setenv("SALESDESK_SQL_QUEUE_S", "0.5")
    at = app(monkeypatch, built_home)
    at.switch_page("pages/sql.py").run()
    at.text_area(key="sql_text").input("select count(*) as customers from dim_customers; -- done")

    # another session's query holds the one worker of this server
    outcome = {}

    def other_session() -> None:
        try:
            adhoc.run_query("select count(*) from range(100000000) a, range(100000000) b",
                            timeout_s=3)
        except UserError as e:
            outcome["other"] = str(e)

    other = threading.Thread(target=other_session)
    other.start()
    for _ in range(6000):
        if adhoc.WORKER_SLOTS.running == 1:
            break
        time.sleep(0.01)
    at.button[0].click().run()
    assert adhoc.WORKER_SLOTS.running == 1
    other.join()
    assert "ran longer than 3 s" in outcome["other"]
    assert not at.exception
    assert at.error[0].value == kit.md(adhoc.WorkerSlots.busy_message(1))
    assert adhoc.WorkerSlots.busy_message(1) == ("1 query is running on this server, as many as "
                                                 "it runs at once; try again in a moment.")

    at.button[0].click().run()  # the worker is free again
    assert not at.exception and not at.error
    result = at.session_state["sql_result"]
    assert isinstance(result, adhoc.QueryResult) and result.frame.columns == ["customers"]
    assert result.frame.item() > 0


def test_a_manager_cannot_open_the_sql_page(monkeypatch, built_home, allowlist):
    at = app(monkeypatch, built_home, email="mona@example.com", allowlist=allowlist)
    assert page_titles(at) == ["Overview"]
    assert any("region 城北片区" in c.value for c in at.sidebar.caption)
    for page in ("pages/sql.py", "pages/data.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)


def test_the_sql_page_refuses_by_itself_without_an_analyst_in_the_session(built_home,
                                                                         monkeypatch):
    from models.core.identity import SESSION_KEY, User

    monkeypatch.setenv("SALESDESK_HOME", str(built_home))
    for who in (None, User("mona@example.com", "manager", region="城北片区", mode="oidc")):
        at = AppTest.from_file(str(ROOT / "pages" / "sql.py"), default_timeout=60)
        if who is not None:
            at.session_state[SESSION_KEY] = who
        at.run()
        assert not at.exception
        assert "for analysts and admins" in at.error[0].value
        assert not at.text_area and not at.dataframe


# Streamlit treats a `pages/` folder next to app.py as a multipage app of the old kind until
# app.py has called st.navigation once in the server process: on a freshly started server, the
# first request for /<page> runs pages/<page>.py WITHOUT app.py, so without its sign-in
# (measured on streamlit 1.67 with a real server). Every page must therefore refuse to render
# when app.py has not put a signed-in user in the session.
PAGES = sorted(p.name for p in (ROOT / "pages").glob("*.py") if not p.name.startswith("_"))
UNGUARDED_YET: set[str] = set()  # every page carries the guard of pages/sql.py


@pytest.mark.parametrize("page", [
    pytest.param(p, marks=pytest.mark.xfail(strict=True, reason="page has no sign-in guard"))
    if p in UNGUARDED_YET else p for p in PAGES])
def test_every_page_refuses_to_render_without_a_signed_in_user(built_home, monkeypatch, page):
    monkeypatch.setenv("SALESDESK_HOME", str(built_home))
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=60)
    at.run()
    assert not at.exception
    assert at.error, f"pages/{page} rendered without a signed-in user"
    assert not at.dataframe and not at.get("download_button") and not at.button


# --- in a real browser: the banner above the SQL page, Ctrl+Enter, the CSV download ------------

@pytest.mark.browser
def test_sql_page_in_chromium(served_app, browser_session, tmp_path):
    from tests.browser_util import open_page, screenshot, wait_until_done

    page = browser_session.new_page(viewport={"width": 1400, "height": 1000},
                                    accept_downloads=True)
    try:
        page.goto(served_app)
        wait_until_done(page)
        page.get_by_text("Local development mode").first.wait_for(timeout=30_000)
        open_page(page, served_app, "SQL")
        page.get_by_role("heading", name="SQL").first.wait_for(timeout=30_000)
        wait_until_done(page)
        assert page.get_by_text("Local development mode").count() >= 1
        editor = page.get_by_label("Query")
        editor.fill("select region, count(*) as customers from dim_customers "
                    "group by all order by region")
        editor.press("Control+Enter")
        page.get_by_text("row(s) in").first.wait_for(timeout=60_000)
        with page.expect_download(timeout=30_000) as download:
            page.get_by_role("button", name="Download CSV").click()
        saved = tmp_path / "query.csv"
        download.value.save_as(saved)
        page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)
        screenshot(page, "sql")
        assert "Traceback" not in page.inner_text("body")
    finally:
        page.close()
    frame = pl.read_csv(saved.read_bytes()[3:])
    assert frame.columns == ["region", "customers"] and frame["customers"].sum() > 0
