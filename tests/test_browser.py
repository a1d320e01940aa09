"""End-to-end: the app served by streamlit, driven by Debian's chromium through playwright.

Screenshots go to tests/screenshots/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "tests" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_home(built_home, tmp_path_factory) -> Path:
    """A copy of the built demo data folder: the upload test adds a load and rebuilds."""
    home = tmp_path_factory.mktemp("browser") / "home"
    shutil.copytree(built_home, home, symlinks=True)
    return home


@pytest.fixture(scope="module")
def app_url(app_home):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run `make chromium` (make test does it).")
    port = free_port()
    env = dict(os.environ, SALESDESK_HOME=str(app_home))
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
         "--server.port", str(port), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline or server.poll() is not None:
                pytest.fail("streamlit did not become healthy within 60 s")
            time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def wait_until_done(page) -> None:
    page.wait_for_selector('[data-testid="stApp"]', timeout=30_000)
    page.wait_for_timeout(500)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)


def test_data_page_in_chromium(app_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(app_url)
    wait_until_done(page)
    page.get_by_role("heading", name="Data").first.wait_for(timeout=30_000)
    for heading in ("Loads", "Builds", "Rejected rows"):
        page.get_by_role("heading", name=heading).first.wait_for(timeout=30_000)
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
    from models.build import current_build_id

    before = current_build_id(app_home)
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
    page.get_by_text("Built ").first.wait_for(timeout=180_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "data_upload.png"), full_page=True)
    assert current_build_id(app_home) != before
    page.close()
