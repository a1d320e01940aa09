"""The published week plan on a phone (390x844) in chromium: a rep signed in through the
header sign-in sees the plan their manager published and taps a navigation link, which opens
Amap with the stop's coordinates converted from WGS-84 to GCJ-02."""

from __future__ import annotations

import shutil
from urllib.parse import parse_qs, urlparse

import polars as pl
import pytest

from models.core.scoping import ALL_DATA
from models.core.warehouse import get_warehouse
from models.engines import geo, planner
from models.queries import published_plans

pytestmark = pytest.mark.browser

EMAIL = "ren@example.com"


@pytest.fixture(scope="module")
def published_home(built_home, tmp_path_factory):
    """A copy of the built folder with a week plan published for the busiest rep."""
    home = tmp_path_factory.mktemp("phone") / "home"
    shutil.copytree(built_home, home, symlinks=True,
                    ignore=shutil.ignore_patterns("*.dbt", "logs"))
    wh = get_warehouse(home)
    reps = planner.reps(wh, ALL_DATA).sort(["due_visits", "rep_id"], descending=[True, False])
    rep_id = reps["rep_id"][0]
    week = planner.week_days(planner.default_week(planner.as_of_date(wh, ALL_DATA)))
    rp = planner.plan_route(wh, ALL_DATA, rep_id, week, time_limit_s=1.0)
    plan = published_plans.publish(rp, "mona@example.com", wh.build_id, home)
    allowlist = home / "allowlist.toml"
    allowlist.write_text(f'[[user]]\nemail = "{EMAIL}"\nrole = "rep"\nrep_id = "{rep_id}"\n')
    return home, allowlist, plan


def test_the_rep_taps_navigation_on_a_phone(published_home, browser_session):
    from tests.browser_util import (
        PHONE,
        screenshot,
        serve_app,
        wait_for_page,
        wait_until_done,
    )

    home, allowlist, plan = published_home
    env = {"SALESDESK_AUTH_MODE": "header", "SALESDESK_ALLOWLIST": str(allowlist),
           geo.ENV_COORDINATES: "wgs84", geo.ENV_MAP_APP: "amap"}
    with serve_app(home, env) as url:
        context = browser_session.new_context(
            **PHONE,
            extra_http_headers={"X-Forwarded-Email": EMAIL})
        page = context.new_page()
        try:
            # a fresh server may first list the pages/ folder; wait for app.py's navigation
            page.goto(url)
            wait_until_done(page)
            page.locator('[data-testid="stSidebarNav"] a', has_text="Route planning").first \
                .wait_for(state="attached", timeout=60_000)
            page.goto(f"{url}/routes")
            wait_for_page(page, "Route planning", timeout_ms=120_000)
            body = page.inner_text("body")
            assert "Traceback" not in body
            assert "Your plan" in body and "Published by mona@example.com" in body
            link = page.locator('a[href^="https://uri.amap.com/navigation"]').first
            link.wait_for(timeout=30_000)
            href = link.get_attribute("href")
            screenshot(page, "routes-phone")
            # the tap opens the link; answered here, so the test never leaves this machine
            requested: list[str] = []

            def answer(route):
                requested.append(route.request.url)
                route.fulfill(status=200, content_type="text/plain", body="amap")

            context.route("https://uri.amap.com/**", answer)
            with context.expect_page(timeout=30_000) as opened:
                link.tap()
            opened.value.wait_for_load_state()
            tapped = opened.value.url
            opened.value.close()
        finally:
            page.close()
            context.close()
    # the first stop of the day shown (the first planned day on or after the as-of date)
    days = [d for d in plan.dates if plan.visits.filter(pl.col("date") == d).height]
    as_of = planner.as_of_date(get_warehouse(home), ALL_DATA)
    shown = next((d for d in days if d >= as_of), days[0])
    first = plan.visits.filter(pl.col("date") == shown).row(0, named=True)
    glat, glon = geo.wgs84_to_gcj02(first["latitude"], first["longitude"])
    query = parse_qs(urlparse(href).query)
    lon, lat, name = query["to"][0].split(",", 2)
    assert (float(lat), float(lon)) == pytest.approx((glat, glon), abs=1e-6)
    assert geo.distance_m(float(lat), float(lon), first["latitude"], first["longitude"]) > 50
    assert name == first["customer_name"]
    assert query["coordinate"] == ["gaode"] and query["mode"] == ["car"]
    assert tapped == href and requested and requested[0] == href
