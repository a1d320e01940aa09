"""Pages in Chinese, checked in chromium: what English is left on a page a zh-CN browser opens.

``english_words`` lists the English words of a page's text, leaving out what stays English in
Chinese too: codes and IDs (C0012, R0018, S/A/B/C), units and file types (CSV, SQL, SKU, Excel,
ID ...), Streamlit's own controls the app does not write, and the data values a test names
(``data_words``, e.g. the demo's names while they are English).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tests.browser_util import SHOTS, click_page, wait_for_page, wait_until_done

# English that a Chinese page may keep: units, file types, standards and product names.
ALLOWED = frozenset({
    "CSV", "SQL", "SKU", "Excel", "ID", "IDs", "XLSX", "xlsx", "csv", "Parquet", "parquet",
    "PNG", "ICS", "ics", "iCalendar", "HTML", "html", "URL", "GB", "MB", "KB", "km", "UTC",
    "Amap", "Baidu", "Tencent", "OpenStreetMap", "OSM", "OSRM", "GPS", "WGS", "GCJ", "BD",
    "ERP", "YoY", "MoM", "KPI", "dbt", "DuckDB", "Spark", "Streamlit", "email", "e-mail",
    "http", "https", "www", "localhost", "AM", "PM", "vs",
    # Streamlit's own widgets (drawn by the framework, not the app)
    "Deploy", "Rerun", "Settings", "Running", "Stop", "Clear", "cache",
})

_WORD = re.compile(r"(?<![\w@./-])[A-Za-z][A-Za-z'’-]+(?![\w@])")


def english_words(text: str, data_words: Iterable[str] = ()) -> list[str]:
    """The English words in ``text`` (each once, in order), apart from ALLOWED and
    ``data_words`` (words of data values the test knows are English)."""
    skip = set(ALLOWED)
    for value in data_words:
        skip.update(_WORD.findall(str(value)))
    found: dict[str, None] = {}
    for word in _WORD.findall(text):
        if word not in skip:
            found.setdefault(word)
    return list(found)


def open_zh(browser, url: str, title_zh: str, viewport: dict | None = None,
            extra_headers: dict | None = None):
    """A page of a zh-CN browser (its language zh-CN, as a manager's in Jinan), on the app's
    page titled ``title_zh`` (its title in Chinese); returns (context, page)."""
    context = browser.new_context(locale="zh-CN", viewport=viewport or {"width": 1400,
                                                                          "height": 1000},
                                  extra_http_headers=extra_headers or {})
    page = context.new_page()
    page.goto(url)
    wait_until_done(page)
    page.locator('[data-testid="stSidebarNav"] a').first.wait_for(timeout=60_000)
    click_page(page, title_zh)
    wait_for_page(page, title_zh)
    return context, page


def icon_names(page, scope: str = "body") -> list[str]:
    """The names of the Material icons inside ``scope`` (a CSS selector): drawn from a font's
    ligatures, so they are in the page's text ("download", "warning") without being words
    anyone reads."""
    return page.evaluate("""(scope) => Array.from(document.querySelectorAll(
            scope + ' span, ' + scope + ' i'))
        .filter(e => getComputedStyle(e).fontFamily.includes('Material'))
        .map(e => e.innerText)""", scope)


def without_icons(page, text: str, scope: str = "body") -> str:
    """``text`` with each Material icon name found inside ``scope`` taken out once."""
    for icon in icon_names(page, scope):
        text = re.sub(rf"(?<![\w-]){re.escape(icon.strip())}(?![\w-])", " ", text, count=1)
    return text


def page_text(page) -> str:
    """The text of the page's main area and sidebar."""
    main = page.locator('[data-testid="stMain"]').inner_text()
    side = page.locator('[data-testid="stSidebar"]').inner_text()
    return main + "\n" + side


def zh_screenshot(page, name: str) -> str:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"zh_{name}.png"
    page.wait_for_timeout(800)
    page.screenshot(path=str(path), full_page=True)
    return str(path)
