"""The visit record store (models/queries/visit_records.py) and the alert task store
(models/queries/alert_tasks.py): real ingest into a temporary lake, real builds on a copy of the
demo."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from models.core import settings
from models.core.errors import UserError
from models.pipeline import build, ingest
from models.pipeline.build_compare import compare_builds
from models.queries import alert_tasks, visit_records
from tests.apptest_util import sql
from tests.pinned import TODAY

AT = dt.datetime.combine(TODAY, dt.time(10, 15))


def a_record(**kw) -> visit_records.VisitRecord:
    values = dict(visit_id="APP-R001-20261118101500-abcd1234", rep_id="R001",
                  customer_id="C00001", started_at=AT, purpose="maintain", outcome="complaint",
                  relationship_level=4, checkin_latitude=31.23, checkin_longitude=121.47,
                  notes="Damaged cases in last delivery", next_step="Bring replacement cases",
                  follow_up_date=TODAY + dt.timedelta(days=3), recorded_by="rep@example.com",
                  recorded_at=AT + dt.timedelta(minutes=20))
    values.update(kw)
    return visit_records.VisitRecord(**values)


def lake_visit_files(home):
    return sorted(p.name for p in (settings.lake_dir(home) / "visits").glob("*.parquet"))


def test_a_record_is_one_lake_load_of_visits_and_is_shown_at_once(tmp_path):
    stored = visit_records.record(a_record(), base=tmp_path)
    assert not stored.duplicate
    (load,) = ingest.loads(tmp_path)
    assert (load["entity"], load["rows"]) == ("visits", 1)
    assert load["source_name"] == "visits-app-APP-R001-20261118101500-abcd1234.parquet"
    assert lake_visit_files(tmp_path) == [f"{stored.load_id}.parquet"]
    shown = visit_records.recent(rep_id="R001", base=tmp_path)
    assert shown["notes"].to_list() == ["Damaged cases in last delivery"]
    assert shown["has_checkin_location"].to_list() == [True]
    assert visit_records.recent(rep_id="R002", base=tmp_path).is_empty()


def test_a_double_submit_stores_one_record_and_a_correction_a_second_load(tmp_path):
    first = visit_records.record(a_record(), base=tmp_path)
    again = visit_records.record(a_record(notes="typed twice", recorded_at=AT), base=tmp_path)
    assert again.duplicate and again.load_id == first.load_id
    assert len(lake_visit_files(tmp_path)) == 1
    fixed = visit_records.record(a_record(outcome="order", notes="Order after all"),
                                 base=tmp_path, correct=True)
    assert not fixed.duplicate and fixed.load_id != first.load_id
    assert len(lake_visit_files(tmp_path)) == 2
    shown = visit_records.recent(customer_id="C00001", base=tmp_path)
    assert shown.select("outcome", "notes").rows() == [("order", "Order after all")]


def test_a_visit_without_location_is_allowed_and_marked(tmp_path):
    visit_records.record(a_record(checkin_latitude=None, checkin_longitude=None,
                                  visit_type="phone"), base=tmp_path)
    assert visit_records.recent(base=tmp_path)["has_checkin_location"].to_list() == [False]


@pytest.mark.parametrize("change, message", [
    ({"relationship_level": 7}, "relationship level: 7 is not 1 to 5"),
    ({"outcome": "great"}, "outcome: 'great' is not one of"),
    ({"checkin_longitude": None}, "location: latitude and longitude go together"),
    ({"started_at": AT + dt.timedelta(days=1)}, "is after today (2026-11-18)"),
    ({"customer_id": " "}, "customer: choose one"),
    ({"visit_id": "x"}, "visit id: use 8-80 letters"),
])
def test_a_bad_record_names_the_field_and_writes_nothing(tmp_path, change, message):
    with pytest.raises(UserError, match="Visit record .*" + message.replace("(", r"\(")
                       .replace(")", r"\)")):
        visit_records.record(a_record(**change), base=tmp_path)
    assert not (settings.lake_dir(tmp_path) / "visits").exists()
    assert visit_records.recent(base=tmp_path).is_empty()


@pytest.mark.parametrize("step", ["written", "renamed"])
def test_a_kill_while_a_record_is_written_leaves_the_whole_record_or_none(tmp_path, step):
    code = ("import datetime as dt; from pathlib import Path; from tests import "
            "test_visit_records as t; from models.queries import visit_records; "
            f"visit_records.record(t.a_record(), base=Path({str(tmp_path)!r}))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, **{ingest.CRASH_ENV: step}),
                         cwd=settings.PROJECT_ROOT)
    assert run.returncode == 70, run.stderr
    ingest.repair_lake(tmp_path)
    files = lake_visit_files(tmp_path)
    records = [r["load_id"] for r in ingest.loads(tmp_path)]
    assert [f.removesuffix(".parquet") for f in files] == records  # whole file, or none
    assert len(files) == (1 if step == "renamed" else 0)
    again = visit_records.record(a_record(), base=tmp_path)  # the retry stores it
    assert not again.duplicate
    assert visit_records.recent(base=tmp_path)["visit_id"].to_list() == [a_record().visit_id]


def test_recorded_visits_reach_the_marts_at_the_next_build(built_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(built_home, home, symlinks=True)
    rep, customer = sql(home, "select maintainer_rep_id, customer_id from dim_customers "
                              "where maintainer_rep_id is not null order by customer_id")[0]
    r = a_record(visit_id="APP-test-0000000001", rep_id=rep, customer_id=customer)
    visit_records.record(r, base=home)
    visit_records.record(r, base=home)  # a double tap
    result = build.run_build(home)
    assert result.ok, result.failures
    rows = sql(home, "select visit_id, purpose, outcome, notes, next_step, recorded_by, "
                     "has_checkin_location from fct_visits where visit_id = ?", [r.visit_id])
    assert rows == [(r.visit_id, "maintain", "complaint", "Damaged cases in last delivery",
                     "Bring replacement cases", "rep@example.com", True)]


# --- alert tasks ------------------------------------------------------------------------------

ALERTS = pl.DataFrame({
    "customer_id": ["C1", "C2", "C3"],
    "alert_type": ["long_no_purchase", "recent_complaint", "visit_overdue"],
    "since_date": [TODAY - dt.timedelta(days=d) for d in (3, 5, 9)],
    "tier": ["S", "B", "A"],
})


def test_alert_actions_fold_into_a_state_and_filter_the_work_list(tmp_path):
    since = dict(zip(ALERTS["customer_id"], ALERTS["since_date"]))
    alert_tasks.act("C1", "long_no_purchase", since["C1"], "acknowledge", "m@example.com",
                    base=tmp_path)
    alert_tasks.act("C1", "long_no_purchase", since["C1"], "assign", "m@example.com",
                    assignee="R007", base=tmp_path)
    alert_tasks.act("C2", "recent_complaint", since["C2"], "snooze", "m@example.com",
                    until=TODAY + dt.timedelta(days=2), base=tmp_path)
    alert_tasks.act("C3", "visit_overdue", since["C3"], "close", "r@example.com",
                    note="Visited on Monday", base=tmp_path)
    open_ = alert_tasks.work_list(ALERTS, base=tmp_path)
    assert open_.select("customer_id", "status", "assignee").rows() == [
        ("C1", "acknowledged", "R007")]
    every = alert_tasks.work_list(ALERTS, base=tmp_path, show_done=True)
    assert dict(zip(every["customer_id"], every["status"])) == {
        "C1": "acknowledged", "C2": "snoozed", "C3": "closed"}
    assert alert_tasks.work_list(ALERTS, base=tmp_path, assignee="R007")["customer_id"] \
        .to_list() == ["C1"]
    assert alert_tasks.work_list(ALERTS, base=tmp_path, types=["recent_complaint"],
                                 show_done=True)["status"].to_list() == ["snoozed"]
    assert alert_tasks.work_list(ALERTS, base=tmp_path, tiers=["A"],
                                 show_done=True)["task_note"].to_list() == ["Visited on Monday"]
    # the snooze ends on its day: open again
    later = alert_tasks.states(tmp_path, today=TODAY + dt.timedelta(days=2))
    assert later[alert_tasks.task_key("C2", "recent_complaint", since["C2"])].status == "open"
    # append-only: four lines, none rewritten
    (log,) = alert_tasks.tasks_dir(tmp_path).glob("*.jsonl")
    assert len(log.read_text().splitlines()) == 4


@pytest.mark.parametrize("kw, message", [
    ({"action": "assign"}, "assign: choose the rep"),
    ({"action": "snooze", "until": TODAY}, "snooze: 2026-11-18 is not after today"),
    ({"action": "close"}, "close: write a note"),
])
def test_an_incomplete_alert_action_is_refused(tmp_path, kw, message):
    with pytest.raises(UserError, match=message):
        alert_tasks.act("C1", "tier_drop", TODAY, by="m@example.com", base=tmp_path, **kw)
    assert alert_tasks.actions(tmp_path) == []


def test_a_compacted_lake_gives_the_same_marts(built_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(built_home, home, symlinks=True)
    pairs = sql(home, "select maintainer_rep_id, customer_id from dim_customers "
                      "where maintainer_rep_id is not null order by customer_id limit 3")
    yesterday = AT - dt.timedelta(days=1)  # a closed day
    ids = []
    for n, (rep, customer) in enumerate(pairs):
        r = a_record(visit_id=f"APP-compact-{n:04d}", rep_id=rep, customer_id=customer,
                     started_at=yesterday + dt.timedelta(minutes=40 * n),
                     recorded_at=yesterday + dt.timedelta(minutes=40 * n + 20))
        visit_records.record(r, base=home)
        ids.append(r.visit_id)
    fixed = a_record(visit_id=ids[0], rep_id=pairs[0][0], customer_id=pairs[0][1],
                     started_at=yesterday, outcome="order", notes="Order after all",
                     recorded_at=AT)
    visit_records.record(fixed, base=home, correct=True)
    visit_records.record(a_record(visit_id="APP-today-0001", rep_id=pairs[0][0],
                                  customer_id=pairs[0][1]), base=home)  # today: stays alone
    app_files = lambda: sorted(r["load_id"] for r in ingest.loads(home)  # noqa: E731
                               if r["source_name"].startswith(visit_records.SOURCE_PREFIX))
    assert len(app_files()) == 5

    marts = {
        "fct_visits": "select visit_id, rep_id, customer_id, started_at, purpose, outcome, "
                      "notes, recorded_by, recorded_at, has_checkin_location from fct_visits "
                      "order by visit_id",
        "compliance": "select customer_id, week_start, done_visits, is_compliant "
                      "from fct_visit_compliance order by 1, 2",
        "alerts": "select customer_id, alert_type, detail from fct_customer_alerts "
                  "order by 1, 2",
        "customers": "select customer_id, last_visit_date, next_visit_due_date, tier "
                     "from dim_customers order by 1",
    }
    assert build.run_build(home, compact_records=False).ok
    before = {name: sql(home, q) for name, q in marts.items()}
    assert build.run_build(home).ok  # compacts yesterday's four files into one
    after = {name: sql(home, q) for name, q in marts.items()}
    assert after == before
    assert len(app_files()) == 2  # yesterday's merged file and today's record
    merged = [r for r in ingest.loads(home) if r["source_name"].endswith(
        f"day-{yesterday:%Y-%m-%d}.parquet")]
    assert [r["rows"] for r in merged] == [3]  # every id once, the corrected one as corrected
    rows = sql(home, "select visit_id, outcome, recorded_by from fct_visits "
                     "where visit_id like 'APP-compact-%' order by 1")
    assert rows == [(ids[0], "order", "rep@example.com"), (ids[1], "complaint", "rep@example.com"),
                    (ids[2], "complaint", "rep@example.com")]
    assert visit_records.compact(home) == []  # merged once, then quiet
    # The compacting build replaced four visit loads by one: it recomputed their month, and
    # equals a full build of the same lake.
    record = build.history(home)[-1]
    assert record["mode"] == "incremental", record["mode_reason"]
    assert f"{yesterday:%Y-%m}-01" in record["changed_months"]
    full_home = tmp_path / "full"
    shutil.copytree(settings.lake_dir(home), settings.lake_dir(full_home))
    full = build.run_build(full_home, dbt_vars={"as_of_date": record["as_of_date"]},
                           compact_records=False)
    assert full.ok and full.mode == "full", full.failures
    _tables, diffs = compare_builds(Path(record["warehouse_file"]), Path(full.warehouse_file))
    assert [str(d) for d in diffs] == []
