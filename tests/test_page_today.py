"""The Today page (pages/today.py) as a rep: the landing page, the stops as cards, a visit
recorded through the form, and alerts worked as tasks. On a copy of the session's demo build
(the page writes visit records and alert actions under the data folder)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from models.core.scoping import ALL_DATA
from models.core.warehouse import get_warehouse
from models.engines import planner
from models.pipeline import ingest
from models.queries import alert_tasks, visit_records
from ui import kit
from tests.apptest_util import APP, AUTH, sql
from tests.pinned import TODAY


@pytest.fixture
def home(built_home, tmp_path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(built_home, copy, symlinks=True)
    return copy


def busiest_rep(home: Path) -> str:
    reps = planner.reps(get_warehouse(home), ALL_DATA)
    return reps.sort(["due_visits", "rep_id"], descending=[True, False])["rep_id"][0]


def as_rep(monkeypatch, home: Path, tmp_path: Path, rep_id: str) -> AppTest:
    allowlist = tmp_path / "allowlist.toml"
    allowlist.write_text(f'[[user]]\nemail = "ren@example.com"\nrole = "rep"\n'
                         f'rep_id = "{rep_id}"\n')
    monkeypatch.setenv("SALESDESK_HOME", str(home))
    monkeypatch.delenv("SALESDESK_AUTH_MODE", raising=False)
    monkeypatch.setenv("SALESDESK_ALLOWLIST", str(allowlist))
    at = AppTest.from_file(APP, default_timeout=90)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "ren@example.com"}
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def test_a_rep_lands_on_today_with_the_due_stops_as_cards(monkeypatch, home, tmp_path):
    rep_id = busiest_rep(home)
    at = as_rep(monkeypatch, home, tmp_path, rep_id)
    assert [t.value for t in at.title] == ["Today"]  # the landing page, no switch
    due = planner.due_list(get_warehouse(home), ALL_DATA, rep_id, [TODAY])
    assert due.height > 0
    shown = texts(at)
    assert kit.md("due list (no published plan for the day)") in shown
    for name in due["customer_name"].head(3).to_list():
        assert kit.md(name) in shown
    assert at.get("progress")[0].proto.text == f"0 of {due.height} stops done"
    # contact and tap-to-call on the card of a customer with a phone
    first = due["customer_id"][0]
    contact, phone = sql(home, "select contact_name, phone from dim_customers "
                               "where customer_id = ?", [first])[0]
    if phone:
        assert f"Contact: {kit.md(contact)} · {kit.md(phone)}" in shown
        links = [b.proto.url for b in at.get("link_button")]
        assert planner.call_link(phone) in links
    assert not any(t.value == "Overview" for t in at.title)


def test_a_visit_recorded_in_the_form_is_stored_once_and_shown_at_once(monkeypatch, home,
                                                                        tmp_path):
    rep_id = busiest_rep(home)
    at = as_rep(monkeypatch, home, tmp_path, rep_id)
    due = planner.due_list(get_warehouse(home), ALL_DATA, rep_id, [TODAY])
    cid = due["customer_id"][0]
    at.button(key=f"rec_{cid}").click().run()
    at.radio(key=f"where_{cid}").set_value("none").run()  # the code of "No location"
    at.selectbox(key=f"outcome_{cid}").set_value("complaint")
    at.text_area(key=f"notes_{cid}").input("Damaged cases in last delivery")
    at.text_input(key=f"next_{cid}").input("Bring replacement cases")
    at.button(key=f"save_{cid}").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == [
        "Visit saved. It counts in compliance after the next build."]
    records = visit_records.recent(rep_id=rep_id, base=home)
    assert records.select("customer_id", "outcome", "notes", "has_checkin_location",
                          "recorded_by").rows() == [
        (cid, "complaint", "Damaged cases in last delivery", False, "ren@example.com")]
    assert kit.md("Damaged cases in last delivery") in texts(at)  # on Today at once
    assert at.get("progress")[0].proto.text.startswith("1 of ")
    visit_loads = [r for r in ingest.loads(home)
                   if r["source_name"].startswith(visit_records.SOURCE_PREFIX)]
    assert len(visit_loads) == 1


def test_alerts_acknowledge_assign_and_snooze_round_trip(monkeypatch, home, tmp_path):
    rep_id = busiest_rep(home)
    alerts = sql(home, """
        select a.customer_id, a.alert_type from fct_customer_alerts a
        join dim_customers c using (customer_id)
        where c.maintainer_rep_id = ? order by 1, 2""", [rep_id])
    assert alerts, "the busiest rep has open alerts in the demo"
    at = as_rep(monkeypatch, home, tmp_path, rep_id)
    cid, kind = alerts[0]
    k = f"{cid}_{kind}"
    at.radio(key=f"act_action_{k}").set_value("acknowledge")
    at.button(key=f"act_save_{k}").click().run()
    assert not at.exception, at.exception
    at.radio(key=f"act_action_{k}").set_value("assign")
    at.selectbox(key=f"act_assignee_{k}").set_value(rep_id)
    at.button(key=f"act_save_{k}").click().run()
    shown = texts(at)
    assert f"acknowledged · assigned to {kit.md(rep_id)}" in shown
    at.radio(key=f"act_action_{k}").set_value("snooze")
    at.button(key=f"act_save_{k}").click().run()
    assert not at.exception, at.exception
    assert f"act_action_{k}" not in [r.key for r in at.radio]  # snoozed: off the list
    at.toggle(key="alert_done").set_value(True).run()
    assert "snoozed · assigned to" in texts(at)
    assert [a["action"] for a in alert_tasks.actions(home)] == [
        "acknowledge", "assign", "snooze"]
    assert {a["by"] for a in alert_tasks.actions(home)} == {"ren@example.com"}
    # closing needs a note: the message names it, nothing is stored
    at.radio(key=f"act_action_{k}").set_value("close")
    at.button(key=f"act_save_{k}").click().run()
    assert [e.value for e in at.error] == [kit.md(
        f"Alert {alert_tasks.ALERT_LABELS[kind]} of {cid}: close: write a note saying what "
        "was done.")]
    assert len(alert_tasks.actions(home)) == 3
