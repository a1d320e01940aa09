"""Every page of the app in headless chromium, and the manager's click-through from the
Overview's alert list to the customer card. Screenshots go to tests/screenshots/ (git-ignored)
for a person to look at."""

from __future__ import annotations

import re

import pytest

from models.core.scoping import ALL_DATA
from models.core.warehouse import get_warehouse
from models.queries import overview
from models.queries.filters import filter_options
from ui import kit
from tests.browser_util import screenshot, wait_until_done

pytestmark = pytest.mark.browser

NAV = '[data-testid="stSidebarNav"] a'
ROW = 35  # height of a header or a row of st.dataframe's grid, in pixels


def start(browser, url: str):
    """A new tab on the app's start page, drawn through app.py (its navigation listed)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    for _ in range(2):
        page.goto(url)
        page.wait_for_selector(NAV, timeout=60_000)
        page.wait_for_selector("h1", timeout=60_000)
        wait_until_done(page)
        # On a fresh server the very first run may list the pages/ folder instead of app.py's
        # navigation (see tests/test_page_sql.py); app.py has run by now, so load again.
        if "app" not in [t.strip() for t in page.locator(NAV).all_inner_texts()]:
            break
    return page


def go_to(page, title: str) -> None:
    """Click ``title`` in the sidebar navigation and wait until the page has drawn."""
    page.locator(NAV).filter(has=page.get_by_text(title, exact=True)).first.click()
    page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=60_000)
    wait_until_done(page)


def assert_no_error(page, name: str) -> None:
    text = page.inner_text("body")
    assert page.locator('[data-testid="stException"]').count() == 0, f"{name}: {text[:2000]}"
    assert "Traceback" not in text, name


def test_every_page_opens_without_an_error(served_app, browser_session):
    page = start(browser_session, served_app)
    titles = [t.split("\n")[-1].strip() for t in page.locator(NAV).all_inner_texts()]
    assert {"Overview", "Customer card", "Scoring", "Growth", "Visits"} <= set(titles)
    for title in titles:
        go_to(page, title)
        assert_no_error(page, title)
        screenshot(page, "page_" + re.sub(r"\W+", "_", title.lower()))
    page.close()


def test_overview_alert_opens_the_customer_card(served_app, browser_session, built_home):
    wh = get_warehouse(built_home)
    filters = filter_options(wh, ALL_DATA).default_filters()
    alerts = overview.alerts(wh, ALL_DATA, filters)
    assert len(alerts) > 0
    first_id = alerts["customer_id"][0]

    page = start(browser_session, served_app)
    go_to(page, "Overview")
    assert_no_error(page, "Overview")
    month_revenue = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    screenshot(page, "flow_1_overview")

    # click the row marker of the alert list's first row (the grid is a canvas)
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 12, box["y"] + ROW + ROW / 2)
    page.wait_for_url("**/customer?customer=*", timeout=60_000)
    page.wait_for_selector("h2", timeout=60_000)
    wait_until_done(page)
    assert_no_error(page, "Customer card")
    assert f"customer={first_id}" in page.url
    assert f"({first_id})" in page.locator("h2").first.inner_text()
    assert page.get_by_role("heading", name="Customer file").count() == 1
    screenshot(page, "flow_2_customer_card")

    # the fallback without the grid: the customer box under the list and its button
    go_to(page, "Overview")
    page.get_by_role("button", name="Open card").click()
    page.wait_for_url("**/customer?customer=*", timeout=60_000)
    page.wait_for_selector("h2", timeout=60_000)
    wait_until_done(page)
    assert_no_error(page, "Customer card")
    assert f"({first_id})" in page.locator("h2").first.inner_text()

    # back on the Overview, a region in the sidebar changes the figures
    go_to(page, "Overview")
    east = overview.revenue_summary(wh, ALL_DATA, filters.with_(region="城东片区")).periods[0]
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Region").click()
    page.get_by_role("option", name="城东片区", exact=True).click()
    page.get_by_text("· 城东片区 ·").first.wait_for(timeout=60_000)
    wait_until_done(page)
    shown = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    assert shown == kit.money(east.revenue) != month_revenue
    screenshot(page, "flow_3_overview_east")
    page.close()
