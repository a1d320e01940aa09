"""Page speed and app memory.

    .venv/bin/python -m bench.page_speed --home DIR [--runs 5]

- Server-side render time of every page (Streamlit's AppTest: app.py, then the page, as the
  dev-mode admin): cold = the first run after the page's query caches were cleared, warm = the
  median of the following runs. The sign-in and sidebar are included, the browser is not.
- The memory of a real ``streamlit run`` process after a headless chromium has opened every page.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")

# Clearing the caches between runs happens outside any script run, which Streamlit warns about
# on every call; the bench log keeps only real problems.
QUIET_LOGGERS = ("streamlit.runtime.scriptrunner_utils.script_run_context",
                 "streamlit.runtime.caching.cache_data_api")


def page_files() -> list[tuple[str, str]]:
    """(file, title) of every page app.py registers, in the sidebar's order."""
    import ast

    tree = ast.parse((ROOT / "app.py").read_text())
    pages = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id in ("SALES_PAGES", "FIELD_PAGES")
                for t in node.targets):
            for item in node.value.elts:
                pages.append((item.elts[0].value, item.elts[1].value))
    return [*pages, ("pages/data.py", "Data"), ("pages/sql.py", "SQL")]


def render_times(home: Path, runs: int = 5) -> list[dict]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["SALESDESK_HOME"] = str(home)
    # AppTest serves nothing, but its server.address is unset (every interface), under which
    # app.py refuses the default dev sign-in: choose dev mode explicitly.
    os.environ["SALESDESK_AUTH_MODE"] = "dev"
    for name in QUIET_LOGGERS:  # a filter, since Streamlit resets its loggers' levels
        logging.getLogger(name).addFilter(lambda record: record.levelno >= logging.ERROR)
    figures = []
    for file, title in page_files():
        times = []
        errors = []
        for run in range(runs + 1):
            if run == 0:
                st.cache_data.clear()
            at = AppTest.from_file(APP, default_timeout=120)
            at.run()
            t0 = time.perf_counter()
            at.switch_page(file).run()
            times.append(time.perf_counter() - t0)
            if at.exception:
                errors.append(str(at.exception[0].message)[:200])
        figures.append({"page": title, "file": file, "cold_s": round(times[0], 3),
                        "warm_s": round(statistics.median(times[1:]), 3),
                        "errors": errors[:1]})
    return figures


def app_memory(home: Path) -> dict:
    """RSS of a streamlit server after a browser has opened every page once."""
    import psutil

    from tests.browser_util import chromium, open_page, serve_app, wait_until_done

    titles = [title for _, title in page_files()]
    with serve_app(home) as url, chromium() as browser:
        server = next(p for p in psutil.process_iter(["cmdline"])
                      if p.info["cmdline"] and "streamlit" in " ".join(p.info["cmdline"])
                      and url.rsplit(":", 1)[1] in " ".join(p.info["cmdline"]))
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        t0 = time.perf_counter()
        for title in titles:
            open_page(page, url, title)
        wait_until_done(page)
        seconds = time.perf_counter() - t0
        rss = server.memory_info().rss
        return {"app_rss_mb": round(rss / 2**20, 1), "pages_visited": len(titles),
                "browser_walk_s": round(seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps({"render": render_times(args.home, args.runs),
                      "memory": app_memory(args.home)}, indent=2))


if __name__ == "__main__":
    main()
