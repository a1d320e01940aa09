"""A rep's day on a phone (390x844) in chromium: signed in through the header sign-in, the rep
lands on Today, checks in with the location the browser grants, records a visit with a note
(tapping save twice), sees it on Today and on the customer card at once, and after a build the
visit is in the marts and counts in compliance."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from models.core.scoping import ALL_DATA
from models.core.warehouse import get_warehouse
from models.engines import planner
from models.pipeline import build, ingest
from models.queries import visit_records
from tests.apptest_util import sql
from tests.pinned import TODAY

pytestmark = pytest.mark.browser

EMAIL = "ren@example.com"
NOTE = "Damaged cases in last delivery; replacement promised"


@pytest.fixture(scope="module")
def rep_home(built_home, tmp_path_factory):
    home = tmp_path_factory.mktemp("today") / "home"
    shutil.copytree(built_home, home, symlinks=True,
                    ignore=shutil.ignore_patterns("*.dbt", "logs"))
    reps = planner.reps(get_warehouse(home), ALL_DATA).sort(["due_visits", "rep_id"],
                                                            descending=[True, False])
    rep_id = reps["rep_id"][0]
    allowlist = home / "allowlist.toml"
    allowlist.write_text(f'[[user]]\nemail = "{EMAIL}"\nrole = "rep"\nrep_id = "{rep_id}"\n')
    return home, allowlist, rep_id


def test_a_rep_checks_in_records_a_visit_and_sees_it(rep_home, browser_session):
    from tests.browser_util import (
        PHONE,
        screenshot,
        serve_app,
        wait_for_page,
        wait_until_done,
    )

    home, allowlist, rep_id = rep_home
    due = planner.due_list(get_warehouse(home), ALL_DATA, rep_id, [TODAY])
    stop = due.row(0, named=True)
    cid = stop["customer_id"]
    week = TODAY - dt.timedelta(days=TODAY.weekday())
    done_sql = ("select coalesce(sum(done_visits), 0) from fct_visit_compliance "
                "where customer_id = ? and week_start = ?")
    (before,), = sql(home, done_sql, [cid, week])
    env = {"SALESDESK_AUTH_MODE": "header", "SALESDESK_ALLOWLIST": str(allowlist)}
    with serve_app(home, env) as url:
        context = browser_session.new_context(
            **PHONE,
            extra_http_headers={"X-Forwarded-Email": EMAIL},
            geolocation={"latitude": stop["latitude"], "longitude": stop["longitude"],
                         "accuracy": 15})
        context.grant_permissions(["geolocation"], origin=url)
        page = context.new_page()
        try:
            page.goto(url)
            wait_for_page(page, "Today", timeout_ms=120_000)  # the rep's landing page
            body = page.inner_text("body")
            assert "Traceback" not in body and stop["customer_name"] in body
            # no grid wider than the screen: the page is cards
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            screenshot(page, "today-phone")

            page.locator(f".st-key-rec_{cid} button").tap()
            wait_until_done(page)
            page.get_by_text("Checked in at").wait_for(timeout=60_000)  # granted location
            page.locator(f".st-key-notes_{cid} textarea").fill(NOTE)
            screenshot(page, "visit-form-phone")
            save = page.locator(f".st-key-save_{cid} button")
            save.dblclick()  # a double tap
            page.get_by_text("Visit saved").wait_for(timeout=60_000)
            wait_until_done(page)
            body = page.inner_text("body")
            assert "Recorded today" in body and NOTE in body
            assert f"1 of {due.height} stops done" in body

            page.goto(f"{url}/customer?customer={cid}")
            wait_for_page(page, "Customer card", timeout_ms=120_000)
            body = page.inner_text("body")
            assert NOTE in body and "new, counts after the next build" in body
            screenshot(page, "card-phone")
        finally:
            page.close()
            context.close()

    # one record, one lake file, whatever the double tap sent
    records = visit_records.recent(rep_id=rep_id, base=home)
    assert records.select("customer_id", "notes", "has_checkin_location").rows() == [
        (cid, NOTE, True)]
    assert len([r for r in ingest.loads(home)
                if r["source_name"].startswith(visit_records.SOURCE_PREFIX)]) == 1
    (visit_id,) = records["visit_id"].to_list()

    result = build.run_build(home)
    assert result.ok, result.failures
    assert sql(home, "select notes, is_onsite, has_checkin_location, is_far_checkin "
                     "from fct_visits where visit_id = ?", [visit_id]) == [
        (NOTE, True, True, False)]
    (after,), = sql(home, done_sql, [cid, week])
    assert after == before + 1  # the visit counts in the week's compliance
