"""End-to-end: the app served by streamlit, driven by Debian's chromium through playwright.

Screenshots go to tests/screenshots/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

from tests.browser_util import SHOTS, click_page, open_page, serve_app, wait_until_done

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_home(built_home, tmp_path_factory) -> Path:
    """A copy of the built demo data folder: the upload test adds a load and rebuilds."""
    home = tmp_path_factory.mktemp("browser") / "home"
    shutil.copytree(built_home, home, symlinks=True)
    return home


@pytest.fixture(scope="module")
def app_url(app_home):
    with serve_app(app_home) as url:
        yield url


@pytest.fixture(scope="module")
def browser(browser_session):
    return browser_session


def test_data_page_in_chromium(app_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(app_url)
    wait_until_done(page)
    page.get_by_role("heading", name="Data").first.wait_for(timeout=30_000)
    for heading in ("Loads", "Builds", "Rejected rows"):
        page.get_by_role("heading", name=heading).first.wait_for(timeout=30_000)
    page.get_by_text("Files loaded").first.wait_for(timeout=30_000)
    wait_until_done(page)
    text = page.inner_text("body")
    assert "Files loaded" in text and "Current build" in text
    assert "Traceback" not in text
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "data.png"), full_page=True)
    page.close()


def upload(page, path: Path) -> None:
    page.get_by_text("Upload files and rebuild").click()
    page.locator('input[type="file"]').set_input_files(str(path))
    page.get_by_text(path.name).first.wait_for(timeout=30_000)
    page.get_by_role("button", name="Load and rebuild").click()


def test_upload_refuses_a_bad_file_and_rebuilds_on_a_good_one(app_url, app_home, browser,
                                                              tmp_path):
    from models.pipeline.build import current_build_id

    before = current_build_id(app_home)
    # a manager's session open on the Overview while the data team rebuilds
    manager = browser.new_page(viewport={"width": 1400, "height": 1000})
    open_page(manager, app_url, "Overview")
    assert f"Warehouse build {before}" in manager.inner_text('[data-testid="stSidebar"]')
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(app_url)
    wait_until_done(page)

    bad = tmp_path / "products_fix.csv"
    bad.write_text("sku,name\nP0001,Renamed\n")
    upload(page, bad)
    page.get_by_text("missing required column(s) unit_cost").wait_for(timeout=60_000)
    assert current_build_id(app_home) == before

    with open(app_home / "demo" / "customers.csv", newline="") as f:
        rep = next(csv.DictReader(f))["maintainer_rep_id"]
    good = tmp_path / "customers_new.csv"
    good.write_text(f"customer_id,name,maintainer_rep_id\nC7777777,New corner shop,{rep}\n")
    page.goto(app_url)
    wait_until_done(page)
    upload(page, good)
    page.get_by_text("loaded as customers, 1 row (").wait_for(timeout=60_000)
    # the status label of this rebuild ("Built <id> in N s"), not "built" elsewhere on the page
    page.get_by_text(re.compile(r"^Built \S+ in \d+ s")).first.wait_for(timeout=180_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "data_upload.png"), full_page=True)
    after = current_build_id(app_home)
    assert after != before
    # the sidebar of the run that built says so at once, and the open session's next page
    # reads the new build
    page.get_by_text(f"Warehouse build {after}").first.wait_for(timeout=30_000)
    click_page(manager, "Scoring")  # waits for the Scoring run itself, not the Overview's
    assert f"Warehouse build {after}" in manager.inner_text('[data-testid="stSidebar"]')
    assert not manager.locator('[data-testid="stException"]').count()
    manager.close()
    page.close()
