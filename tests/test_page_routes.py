"""The route planning page under AppTest (through app.py) and in chromium."""

from __future__ import annotations

from pathlib import Path

import icalendar
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from models.core.scoping import ALL_DATA
from models.core.warehouse import get_warehouse
from models.engines import planner
from ui import kit
from tests.apptest_util import open_page


@pytest.fixture(scope="module")
def reps(built_home) -> pl.DataFrame:
    return planner.reps(get_warehouse(built_home), ALL_DATA)


def busiest(frame: pl.DataFrame) -> str:
    return frame.sort(["due_visits", "rep_id"], descending=[True, False])["rep_id"][0]


def routes_page(monkeypatch, home: Path, email: str | None = None,
                allowlist: Path | None = None) -> AppTest:
    """The page as the dev-mode admin, or signed in (OIDC) as ``email``."""
    return open_page(monkeypatch, home, "pages/routes.py", "Route planning", email=email, allowlist=allowlist,
                     timeout=120)


def test_a_week_is_planned_shown_and_exported(monkeypatch, built_home, reps):
    at = routes_page(monkeypatch, built_home)
    rep_id = busiest(reps)
    assert at.selectbox(key="routes_rep").value == rep_id  # the busiest rep is preselected
    assert set(at.selectbox(key="routes_rep").options) == {
        f"{r['rep_name']} ({r['rep_id']}, {r['region']}) · {r['due_visits']} due"
        for r in reps.iter_rows(named=True)}
    due = at.dataframe[0].value
    week = planner.week_days(at.date_input(key="routes_week").value)
    expected = planner.due_list(get_warehouse(built_home), ALL_DATA, rep_id, week)
    assert list(due["customer_id"]) == expected["customer_id"].to_list()
    assert due["why"].str.contains("every").all()
    assert any("Press **Plan route**" in i.value for i in at.info)

    at.button(key="routes_run").click().run()
    assert not at.exception and not at.error
    stored = at.session_state["routes_plan"]
    rp: planner.RoutePlan = stored["plan"]
    assert rp.rep.rep_id == rep_id and rp.is_week
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Visits planned"] == str(rp.optimised.visits)
    assert metrics["Distance"] == f"{rp.optimised.km:,.1f} km"
    assert metrics["Saved vs naive order"] == f"{rp.km_saved:,.1f} km"
    assert [sub.value for sub in at.subheader] == ["Due visits", "Plan", "Stops in order",
                                                  "Not planned"]
    if rp.rep.base_source != "rep file":  # the page says where the days start from
        assert any(rp.rep.base_source in c.value for c in at.caption)
    # the per-day table and the ordered stops
    days = at.dataframe[1].value
    assert list(days["visits"]) == rp.days["visits"].to_list()
    stops = at.dataframe[2].value
    assert list(stops["customer_id"]) == rp.visits["customer_id"].to_list()
    assert list(stops["arrival"]) == rp.visits["arrival"].to_list()
    chart = at.get("plotly_chart")
    assert len(chart) == 1 and "Route of" in chart[0].proto.spec
    labels = [d.label for d in at.get("download_button")]
    assert labels[:4] == ["Download due list", "Download CSV", "Download calendar (.ics)",
                          "Download day sheet (HTML)"]
    if rp.balance is not None:  # the page reports the day lengths and the cost of balancing
        assert any("Balanced days:" in c.value and "min of driving" in c.value
                   for c in at.caption)
    events = list(icalendar.Calendar.from_ical(stored["files"]["ics"]).walk("VEVENT"))
    assert len(events) == rp.optimised.visits

    # one day of the plan on the map: the table holds that day's stops only
    first = rp.visits["date"][0]
    at.segmented_control(key="routes_show").set_value(first).run()
    assert not at.exception
    shown = at.dataframe[2].value
    assert len(shown) == rp.visits.filter(pl.col("date") == first).height
    assert at.session_state["routes_plan"]["plan"] is rp  # downloads and views do not re-solve


def test_a_single_day(monkeypatch, built_home, reps):
    at = routes_page(monkeypatch, built_home)
    at.segmented_control(key="routes_span").set_value("Day").run()
    day = at.date_input(key="routes_day").value
    assert day.weekday() < 5
    at.button(key="routes_run").click().run()
    assert not at.exception and not at.error
    rp = at.session_state["routes_plan"]["plan"]
    assert rp.dates == [day] and not rp.is_week
    assert set(at.dataframe[2].value["customer_id"]) <= set(rp.due["customer_id"])


def test_street_tiles_when_a_tile_url_is_set(monkeypatch, built_home):
    monkeypatch.setenv("SALESDESK_MAP_TILES", "https://tiles.example.test/{z}/{x}/{y}.png")
    at = routes_page(monkeypatch, built_home)
    at.segmented_control(key="routes_span").set_value("Day").run()
    at.button(key="routes_run").click().run()
    assert not at.exception and not at.error
    spec = at.get("plotly_chart")[0].proto.spec
    assert '"scattermap"' in spec and "tiles.example.test" in spec and '"raster"' in spec
    monkeypatch.setenv("SALESDESK_MAP_TILES", "not a url")
    broken = routes_page(monkeypatch, built_home)
    assert any(kit.md("SALESDESK_MAP_TILES") in e.value for e in broken.error)  # shown as text


def test_a_manager_plans_only_for_the_reps_of_the_region(monkeypatch, built_home, reps,
                                                         tmp_path):
    region = reps["region"][0]
    allowlist = tmp_path / "allowlist.toml"
    allowlist.write_text(f'[[user]]\nemail = "mona@example.com"\nrole = "manager"\n'
                         f'region = "{region}"\n')
    at = routes_page(monkeypatch, built_home, "mona@example.com", allowlist)
    options = at.selectbox(key="routes_rep").options
    expected = reps.filter(pl.col("region") == region)
    assert len(options) == expected.height
    assert all(f", {region})" in o for o in options)


def test_a_rep_plans_for_themselves(monkeypatch, built_home, reps, tmp_path):
    rep_id = busiest(reps)
    allowlist = tmp_path / "allowlist.toml"
    allowlist.write_text(f'[[user]]\nemail = "ren@example.com"\nrole = "rep"\n'
                         f'rep_id = "{rep_id}"\n')
    at = routes_page(monkeypatch, built_home, "ren@example.com", allowlist)
    assert len(at.selectbox(key="routes_rep").options) == 1
    assert at.selectbox(key="routes_rep").value == rep_id
    assert any("No plan has been published" in i.value for i in at.info)


def copy_home(built_home: Path, tmp_path: Path) -> Path:
    """A copy of the built folder (the published plans are written under it)."""
    import shutil

    home = tmp_path / "home"
    shutil.copytree(built_home, home, symlinks=True,
                    ignore=shutil.ignore_patterns("*.dbt", "logs"))
    return home


def test_a_manager_publishes_and_the_rep_sees_exactly_that_plan(monkeypatch, built_home, reps,
                                                                tmp_path):
    from models.queries import published_plans

    home = copy_home(built_home, tmp_path)
    rep_id = busiest(reps)
    region = reps.filter(pl.col("rep_id") == rep_id)["region"][0]
    allowlist = tmp_path / "allowlist.toml"
    allowlist.write_text(
        f'[[user]]\nemail = "mona@example.com"\nrole = "manager"\nregion = "{region}"\n'
        f'[[user]]\nemail = "ren@example.com"\nrole = "rep"\nrep_id = "{rep_id}"\n')
    at = routes_page(monkeypatch, home, "mona@example.com", allowlist)
    at.selectbox(key="routes_rep").set_value(rep_id).run()
    at.button(key="routes_run").click().run()
    assert not at.exception and not at.error
    rp = at.session_state["routes_plan"]["plan"]
    at.button(key="routes_publish").click().run()
    assert not at.exception and not at.error
    assert any("Published version 1" in s.value and kit.md("mona@example.com") in s.value
               for s in at.success)
    week = at.date_input(key="routes_week").value
    stored = published_plans.latest(rep_id, planner.week_days(week)[0], home)
    assert stored.published_by == "mona@example.com"
    assert stored.visits["customer_id"].to_list() == rp.visits["customer_id"].to_list()

    rep = routes_page(monkeypatch, home, "ren@example.com", allowlist)
    assert not rep.exception and not rep.error
    assert [sub.value for sub in rep.subheader] == ["Your plan", "Stops in order",
                                                   "Planned against done"]
    assert any("Published by " + kit.md("mona@example.com") in c.value for c in rep.caption)
    shown_day = rep.segmented_control(key="routes_rep_day").value
    day_stops = stored.visits.filter(pl.col("date") == shown_day)
    buttons = [b for b in rep.get("link_button")]
    navigate = [b for b in buttons if b.proto.label.startswith("Navigate")]
    assert [b.proto.url for b in navigate] == day_stops["navigation"].to_list()
    assert all(u.startswith("https://uri.amap.com/navigation?to=") for u in
               day_stops["navigation"])
    compliance = rep.dataframe[0].value
    assert list(compliance["planned"]) == [
        stored.visits.filter(pl.col("date") == d).height for d in stored.dates]


@pytest.mark.browser
def test_plan_a_week_in_chromium(served_app, browser_session, reps, tmp_path):
    from tests.browser_util import open_page, screenshot, wait_until_done

    page = browser_session.new_page(viewport={"width": 1400, "height": 1100},
                                    accept_downloads=True)
    try:
        open_page(page, served_app, "Route planning")
        page.get_by_role("heading", name="Route planning").first.wait_for(timeout=30_000)
        page.get_by_role("button", name="Plan route").click()
        page.get_by_text("Stops in order").first.wait_for(timeout=120_000)
        wait_until_done(page)
        chart = page.locator('[data-testid="stPlotlyChart"]').first
        chart.wait_for(timeout=30_000)
        page.locator(".js-plotly-plot .scatterlayer .trace").first.wait_for(timeout=30_000)
        assert page.get_by_text("Route of").count() >= 1
        with page.expect_download(timeout=30_000) as download:
            page.get_by_role("button", name="Download calendar (.ics)").click()
        saved = tmp_path / "week.ics"
        download.value.save_as(saved)
        screenshot(page, "routes")
        assert "Traceback" not in page.inner_text("body")
    finally:
        page.close()
    assert download.value.suggested_filename.startswith(f"route-{busiest(reps)}-week-")
    events = list(icalendar.Calendar.from_ical(saved.read_bytes()).walk("VEVENT"))
    assert events and all(str(e["summary"]).split(". ", 1)[0].isdigit() for e in events)
