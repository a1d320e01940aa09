"""Resilience under load: the dashboard while the data team rebuilds, a killed build, a full disk.

    .venv/bin/python -m bench.soak --home DIR [--sessions 10] [--max-minutes 25]

``--home`` is a built data folder; the script works on a copy of it (loopback only):

1. Rebuilds under load: a streamlit server on the copy; ``--sessions`` headless chromium
   sessions (one browser, a context each, so each is its own Streamlit session) cycle through
   every page while three builds run one after the other; the second has a data test that fails
   on purpose. Checked: no exception box or error text on any page, no lock error, every build
   id a session sees is one of the good builds (never the failed one), and the failed build
   never became current. Page times (click to finished run) are reported as p50/p95.
2. Killed build: a build is SIGKILLed half way; the dashboard still reads the old build, and the
   next build succeeds and removes the half-written file.
3. Full disk: the warehouse folder of a fresh copy is a small tmpfs (needs root and ``mount``);
   a build that cannot fit fails with a clear message and the previous build stays current.

Bounded: at most ``--max-minutes`` of load, and every wait has a time limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BUILD = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from models.core import settings
    from models.pipeline import build
    home, project = Path(sys.argv[1]), sys.argv[2]
    if project:
        settings.DBT_PROJECT_DIR = Path(project)
    result = build.run_build(home)
    print(json.dumps({"build_id": result.build_id, "ok": result.ok,
                      "failures": result.failures[:3], "seconds": result.seconds}))
""")

ERROR_TEXT = re.compile(r"Traceback|IOException|Could not set lock|database is locked|"
                        r"Conflicting lock", re.I)
THINK_S = 1.0  # between a page's end and the next click
BUILD_ID = re.compile(r"Warehouse build\s+(\S+)")  # the sidebar: the build the run read


def run_build(home: Path, project: Path | None = None) -> dict:
    out = subprocess.run([sys.executable, "-c", BUILD, str(home), str(project or "")],
                         capture_output=True, text=True, cwd=ROOT, timeout=1800)
    if out.returncode != 0:
        return {"ok": False, "failures": [out.stderr[-500:]], "build_id": None}
    return json.loads(out.stdout.strip().splitlines()[-1])


def broken_project(tmp: Path) -> Path:
    """A copy of the dbt project with a data test that fails on any demo lake."""
    project = tmp / "dbt_project_broken"
    shutil.copytree(ROOT / "dbt_project", project,
                    ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    (project / "tests" / "assert_fails_on_purpose.sql").write_text(
        "-- fails on purpose: the demo lake has returns\n"
        "select * from {{ ref('stg_sales_lake__sales') }} where quantity < 0\n")
    return project


async def session(browser, url: str, titles: list[str], stop: asyncio.Event, log: list,
                  number: int) -> None:
    from tests.browser_util import PAGE_FINISHED

    context = await browser.new_context(viewport={"width": 1300, "height": 900})
    page = await context.new_page()
    await page.goto(url, timeout=60_000)
    # app.py's navigation (a freshly opened session may first list the pages/ folder)
    await page.locator('[data-testid="stSidebarNav"] a', has_text="Customer card").first.wait_for(
        timeout=60_000)
    i = number  # sessions start on different pages
    while not stop.is_set():
        title = titles[i % len(titles)]
        i += 1
        t0 = time.perf_counter()
        entry = {"session": number, "page": title, "at": time.time()}
        try:
            await page.locator('[data-testid="stSidebarNav"] a',
                               has_text=re.compile(re.escape(title) + r"\s*$")).first.click(
                timeout=30_000)
            await page.wait_for_function(PAGE_FINISHED, arg=title, timeout=60_000)
            entry["seconds"] = time.perf_counter() - t0
            body = await page.inner_text("body")
            exceptions = await page.locator('[data-testid="stException"]').count()
            entry["error"] = (f"{exceptions} exception box(es)" if exceptions else
                              (ERROR_TEXT.search(body).group(0) if ERROR_TEXT.search(body)
                               else None))
            seen = BUILD_ID.search(body)
            entry["build_id"] = seen.group(1).strip("`") if seen else None
        except Exception as e:  # a timeout is a finding, not a crash of the script
            entry["seconds"] = time.perf_counter() - t0
            entry["error"] = f"{type(e).__name__}: {str(e)[:200]}"
        log.append(entry)
        await asyncio.sleep(THINK_S)  # a person reads the page before the next click
    await context.close()


async def load_during_builds(url: str, titles: list[str], sessions: int, builds, max_s: float
                             ) -> list[dict]:
    from playwright.async_api import async_playwright

    from tests.browser_util import CHROMIUM, CHROMIUM_ARGS

    log: list[dict] = []
    stop = asyncio.Event()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tasks = [asyncio.create_task(session(browser, url, titles, stop, log, n))
                 for n in range(sessions)]
        loop = asyncio.get_running_loop()
        build_task = loop.run_in_executor(None, builds)
        try:
            await asyncio.wait_for(asyncio.shield(build_task), timeout=max_s)
        except asyncio.TimeoutError:
            pass
        await asyncio.sleep(30)  # a last round of every session on the final build
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await browser.close()
        await build_task
    return log


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else 0.0


def rebuilds_under_load(home: Path, sessions: int, max_minutes: float) -> dict:
    from bench.page_speed import page_files
    from models.pipeline import build
    from tests.browser_util import serve_app

    titles = [title for _, title in page_files()]
    outcomes: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        broken = broken_project(Path(tmp))

        def builds() -> None:
            for project in (None, broken, None):
                outcome = run_build(home, project)
                outcome["finished_at"] = time.time()
                outcomes.append(outcome)

        start_id = build.current_build_id(home)
        with serve_app(home) as url:
            t0 = time.time()
            log = asyncio.run(load_during_builds(url, titles, sessions, builds,
                                                 max_minutes * 60))
            stopped = time.time()
            seconds = stopped - t0
    good = {o["build_id"] for o in outcomes if o.get("ok")}
    failed = {o["build_id"] for o in outcomes if not o.get("ok")}
    history_good = {r["build_id"] for r in build.history(home) if build.is_good(r)}
    seen = {e["build_id"] for e in log if e.get("build_id")}
    errors = [e for e in log if e.get("error")]
    times = [e["seconds"] for e in log if not e.get("error")]
    # Build ids sort by time: a session that shows an older build after a newer one went back.
    went_back = 0
    for number in range(sessions):
        ids = [e["build_id"] for e in sorted(log, key=lambda e: e["at"])
               if e["session"] == number and e.get("build_id")]
        went_back += any(b < a for a, b in zip(ids, ids[1:]))
    swaps = []
    for o in outcomes:
        if not o.get("ok"):
            continue
        after = [e for e in log if e.get("build_id") == o["build_id"]]
        swaps.append({"build_id": o["build_id"],
                      "finished_after_s": round(o["finished_at"] - t0, 1),
                      "during_load": o["finished_at"] < stopped,
                      "views_showing_it": len(after),
                      "sessions_showing_it": len({e["session"] for e in after}),
                      "first_view_after_s": round(min(e["at"] for e in after) - o["finished_at"],
                                                  1) if after else None})
    return {
        "sessions": sessions, "page_views": len(log), "seconds": round(seconds, 1),
        "start_build": start_id,
        "builds": [{k: o.get(k) for k in ("build_id", "ok", "seconds")} for o in outcomes],
        "new_builds_seen": swaps,
        "sessions_that_went_back_to_an_older_build": went_back,
        "views_without_a_build_id": sum(1 for e in log if not e.get("build_id")),
        "page_errors": len(errors), "error_examples": errors[:5],
        "builds_seen": sorted(seen),
        "saw_failed_build": bool(seen & failed),
        "saw_unknown_build": sorted(seen - history_good),
        "failed_build_became_current": build.current_build_id(home) in failed,
        "current_is_last_good": build.current_build_id(home) == (
            [o["build_id"] for o in outcomes if o.get("ok")] or [None])[-1],
        "page_p50_s": round(statistics.median(times), 2) if times else None,
        "page_p95_s": round(percentile(times, 0.95), 2) if times else None,
        "expected_failures_ok": len(failed) == 1 and len(good) == 2,
    }


def killed_build(home: Path) -> dict:
    from models.core import settings
    from models.core.warehouse import Warehouse
    from models.pipeline import build

    before = build.current_build_id(home)
    wh = settings.warehouse_dir(home)
    known = {p.name for p in wh.iterdir()}
    # half way: the new file has grown to half the size of the current build's file
    target_size = (wh / "current.duckdb").resolve().stat().st_size / 2
    child = subprocess.Popen([sys.executable, "-c", BUILD, str(home), ""], cwd=ROOT,
                             start_new_session=True, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    t0 = time.time()
    half = None
    while child.poll() is None and time.time() < t0 + 600:
        fresh = [p for p in wh.glob("*.duckdb") if p.name not in known and not p.is_symlink()]
        half = fresh[0] if fresh else None
        if half is not None and half.exists() and half.stat().st_size >= target_size:
            break
        time.sleep(0.1)
    finished_first = child.poll() is not None
    size_mb = half.stat().st_size / 1e6 if half and half.exists() else 0.0
    killed_after = time.time() - t0
    os.killpg(child.pid, signal.SIGKILL)
    child.wait(timeout=60)
    still_reads = Warehouse(home).scalar("select count(*) from dim_customers") > 0
    current_kept = build.current_build_id(home) == before
    after = run_build(home)
    return {"killed_after_s": round(killed_after, 1), "finished_before_the_kill": finished_first,
            "current_file_mb": round(target_size * 2 / 1e6, 1),
            "half_written_mb": round(size_mb, 1), "dashboard_reads_old_build": still_reads,
            "current_kept": current_kept, "next_build_ok": after.get("ok"),
            "half_written_removed": bool(half) and not half.exists()}


def full_disk(home: Path) -> dict:
    """A build on a warehouse folder that is a tmpfs too small for the new build file."""
    from models.core import settings
    from models.core.warehouse import Warehouse
    from models.pipeline import build

    wh = settings.warehouse_dir(home)
    current = wh / "current.duckdb"
    size = current.resolve().stat().st_size
    keep = build.current_build_id(home)
    good = {r["build_id"] for r in build.history(home) if build.is_good(r)}
    with tempfile.TemporaryDirectory() as tmp:
        saved = Path(tmp) / "warehouse"
        shutil.copytree(wh, saved, symlinks=True)
        shutil.rmtree(wh)
        wh.mkdir()
        # room for the current build and the pre-check, not for a whole second build file
        limit = int(size + build.MIN_FREE_MB * 1e6 + size * 1.25)
        mount = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={limit}", "tmpfs",
                                str(wh)], capture_output=True, text=True)
        if mount.returncode != 0:
            shutil.rmtree(wh)
            shutil.copytree(saved, wh, symlinks=True)
            return {"skipped": f"cannot mount a tmpfs here: {mount.stderr.strip()[:200]}"}
        try:
            for path in saved.iterdir():  # only the current build and the history
                if path.name in ("current.duckdb", "builds.jsonl", f"{keep}.duckdb"):
                    if path.is_symlink():
                        os.symlink(os.readlink(path), wh / path.name)
                    else:
                        shutil.copy2(path, wh / path.name)
            # The build starts (the pre-check passes), then something else fills the disk
            # while dbt writes: the build runs out of space half way.
            known = {p.name for p in wh.iterdir()}
            child = subprocess.Popen([sys.executable, "-c", BUILD, str(home), ""], cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            deadline = time.time() + 300
            while time.time() < deadline and child.poll() is None and not any(
                    p.name not in known and p.suffix == ".duckdb" for p in wh.iterdir()):
                time.sleep(0.1)
            try:
                with open(wh / "filler.bin", "wb") as f:
                    while True:
                        f.write(b"\0" * 2**20)
                        f.flush()
            except OSError:
                pass  # the disk is full
            out, err = child.communicate(timeout=1800)
            (wh / "filler.bin").unlink(missing_ok=True)
            lines = out.strip().splitlines()
            outcome = json.loads(lines[-1]) if lines else {"ok": False, "failures": [err[-400:]]}
            message = " ".join(outcome.get("failures") or [])[:400]
            still_reads = Warehouse(home).scalar("select count(*) from dim_customers") > 0
            return {"tmpfs_mb": round(limit / 1e6), "build_ok": outcome.get("ok"),
                    "message": message, "current_kept": build.current_build_id(home) == keep,
                    "dashboard_reads": still_reads, "good_builds_before": len(good)}
        finally:
            subprocess.run(["umount", "-l", str(wh)], capture_output=True)
            shutil.rmtree(wh, ignore_errors=True)
            shutil.copytree(saved, wh, symlinks=True)


def run(home: Path, sessions: int = 10, max_minutes: float = 25) -> dict:
    """All three cases on copies of ``home``; returns the figures."""
    figures = {}
    with tempfile.TemporaryDirectory(prefix="salesdesk-soak-") as tmp:
        copy = Path(tmp) / "home"
        shutil.copytree(home, copy, symlinks=True)
        figures["rebuilds_under_load"] = rebuilds_under_load(copy, sessions, max_minutes)
        figures["killed_build"] = killed_build(copy)
        figures["full_disk"] = full_disk(copy)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--max-minutes", type=float, default=25)
    args = parser.parse_args()
    print(json.dumps(run(args.home, args.sessions, args.max_minutes), indent=2, default=str))


if __name__ == "__main__":
    main()
