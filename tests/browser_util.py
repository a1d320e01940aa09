"""Serving the app for browser tests: streamlit on a data folder, driven by Debian's chromium."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "tests" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# A phone's browser (the app lays a page out for a phone when the User-Agent says "Mobi").
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True,
         "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
                       "(KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36"}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_app(home: Path, env_extra: dict[str, str] | None = None,
              address: str = "127.0.0.1") -> Iterator[str]:
    """Run ``streamlit run app.py`` on ``home`` until the block ends; yields the URL (on
    127.0.0.1). Sign-in is the default dev mode unless ``env_extra`` sets SALESDESK_AUTH_*; the
    server listens on ``address`` (this machine only, as `make run` does, unless told)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run `make chromium` (make test does it).")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALESDESK_AUTH")}
    env.update(SALESDESK_HOME=str(home), **(env_extra or {}))
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
         "--server.port", str(port), "--server.headless", "true",
         "--server.address", address, "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
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
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:  # busy with sessions: stop it hard
            server.kill()
            server.wait(timeout=20)


@contextlib.contextmanager
def chromium() -> Iterator:
    """A headless chromium browser (playwright, Debian's binary)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# The run is over: Streamlit's app root says its script is not running, and no element of the
# previous run is still shown as stale (the status widget alone appears only after a delay).
RUN_FINISHED = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app !== null && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-stale="true"]')
        && !document.querySelector('[data-testid="stStatusWidget"]');
}"""


# The page titled ``title`` has finished its run: its heading is drawn (so the run that the
# click asked for has started: a busy server may take a while to start it, and until then the
# previous page still looks finished) and the run is over.
PAGE_FINISHED = """(title) => {
    const heading = document.querySelector('[data-testid="stMain"] h1');
    return heading !== null && heading.innerText.trim() === title && (""" + RUN_FINISHED + """)();
}"""


def wait_for_page(page, title: str, timeout_ms: int = 60_000) -> None:
    """Wait until the page titled ``title`` has finished its run."""
    page.wait_for_function(PAGE_FINISHED, arg=title, timeout=timeout_ms)


def wait_until_done(page, timeout_ms: int = 60_000) -> None:
    """Wait until the app has drawn and no script run is in progress."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=30_000)
    page.wait_for_timeout(500)  # the click's rerun request reaches the server
    page.wait_for_function(RUN_FINISHED, timeout=timeout_ms)


def open_page(page, url: str, title: str) -> None:
    """Click ``title`` in the sidebar navigation and wait for the page's run to finish."""
    page.goto(url)
    wait_until_done(page)
    # A freshly started server may first list the pages/ folder (old-style, without app.py's
    # sign-in); app.py's navigation has "Customer card", the folder listing has not.
    page.locator('[data-testid="stSidebarNav"] a', has_text="Customer card").first.wait_for(
        timeout=60_000)
    click_page(page, title)


def click_page(page, title: str) -> None:
    """Click ``title`` in the sidebar navigation of the open session; wait for its run."""
    page.locator('[data-testid="stSidebarNav"] a',
                 has_text=re.compile(re.escape(title) + r"\s*$")).first.click()
    wait_for_page(page, title)


def screenshot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.wait_for_timeout(800)  # charts and grids draw after the run
    page.screenshot(path=str(path), full_page=True)
    return path
