"""Alerts as tasks: acknowledge, assign, snooze and close an alert, stored append-only.

An alert is a row of ``fct_customer_alerts`` (customer and alert type), rebuilt by every build;
what people did about it lives outside the warehouse, in
``$SALESDESK_HOME/alert_tasks/<yyyy-mm>.jsonl`` (one line per action, who and when, written
under an exclusive lock by ``models.core.jsonlog``). The state of an alert is the fold of its
actions, oldest first (``states``); ``work_list`` joins it onto the alerts of a build. An
action is never changed or removed: a later action overrides (a new snooze, "reopen").

The key is (customer_id, alert_type, since_date): when the same condition comes back later with
a new start day, it is a new task, and an old "closed" does not hide it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from models.core import clock, jsonlog, settings
from models.core.errors import UserError

ACTIONS = ("acknowledge", "assign", "snooze", "close", "reopen")
STATUSES = ("open", "acknowledged", "snoozed", "closed")
ALERT_LABELS = {
    "long_no_purchase": "Long time no purchase",
    "tier_drop": "Tier dropped",
    "visit_overdue": "S/A visit overdue",
    "recent_complaint": "Recent complaint",
}
HISTORY_MONTHS = 12  # actions older than this are not read back


def tasks_dir(base: Path | None = None) -> Path:
    return (base or settings.home()) / "alert_tasks"


def task_key(customer_id: str, alert_type: str, since_date: dt.date | str | None) -> str:
    since = since_date.isoformat() if isinstance(since_date, dt.date) else str(since_date or "")
    return f"{customer_id}|{alert_type}|{since}"


@dataclass(frozen=True)
class TaskState:
    status: str = "open"
    assignee: str | None = None
    snoozed_until: dt.date | None = None
    note: str | None = None
    last_by: str | None = None
    last_at: str | None = None


def act(customer_id: str, alert_type: str, since_date: dt.date | str | None, action: str,
        by: str, *, assignee: str | None = None, until: dt.date | None = None,
        note: str | None = None, base: Path | None = None,
        at: dt.datetime | None = None) -> dict:
    """Store one action on an alert; a UserError names what is missing."""
    what = f"Alert {ALERT_LABELS.get(alert_type, alert_type)} of {customer_id}"
    if action not in ACTIONS:
        raise UserError(f"{what}: action {action!r} is not one of {', '.join(ACTIONS)}.")
    if action == "assign" and not (assignee or "").strip():
        raise UserError(f"{what}: assign: choose the rep to assign it to.")
    if action == "snooze":
        if until is None:
            raise UserError(f"{what}: snooze: choose the day it comes back.")
        if until <= clock.today():
            raise UserError(f"{what}: snooze: {until:%Y-%m-%d} is not after today "
                            f"({clock.today():%Y-%m-%d}).")
    if action == "close" and not (note or "").strip():
        raise UserError(f"{what}: close: write a note saying what was done.")
    at = at or dt.datetime.combine(clock.today(), dt.datetime.now().time().replace(microsecond=0))
    line = {"key": task_key(customer_id, alert_type, since_date), "customer_id": customer_id,
            "alert_type": alert_type, "action": action, "by": by, "at": at.isoformat(),
            "assignee": (assignee or "").strip() or None,
            "until": until.isoformat() if until else None,
            "note": (note or "").strip() or None}
    jsonlog.append(tasks_dir(base) / f"{at:%Y-%m}.jsonl", line)
    return line


def actions(base: Path | None = None) -> list[dict]:
    """Every stored action of the last HISTORY_MONTHS months, oldest first."""
    folder = tasks_dir(base)
    if not folder.is_dir():
        return []
    first = (clock.today().replace(day=1) - dt.timedelta(days=31 * HISTORY_MONTHS))
    rows: list[dict] = []
    for path in sorted(folder.glob("*.jsonl")):
        if path.stem >= f"{first:%Y-%m}":
            rows.extend(jsonlog.read(path))
    return sorted(rows, key=lambda r: r["at"])


def states(base: Path | None = None, today: dt.date | None = None) -> dict[str, TaskState]:
    """The state of every alert someone acted on: the fold of its actions. A snooze whose day
    has come is open again (acknowledged if it was acknowledged before)."""
    today = today or clock.today()
    out: dict[str, TaskState] = {}
    acked: set[str] = set()
    for a in actions(base):
        s = out.get(a["key"], TaskState())
        common = {"last_by": a["by"], "last_at": a["at"], "note": a.get("note") or s.note}
        if a["action"] == "acknowledge":
            acked.add(a["key"])
            s = TaskState("acknowledged", s.assignee, None, **common)
        elif a["action"] == "assign":
            s = TaskState(s.status if s.status != "closed" else "open", a["assignee"],
                          s.snoozed_until, **common)
        elif a["action"] == "snooze":
            s = TaskState("snoozed", s.assignee, dt.date.fromisoformat(a["until"]), **common)
        elif a["action"] == "close":
            s = TaskState("closed", s.assignee, None, **common)
        elif a["action"] == "reopen":
            acked.discard(a["key"])
            s = TaskState("open", s.assignee, None, **common)
        out[a["key"]] = s
    for key, s in out.items():
        if s.status == "snoozed" and s.snoozed_until and s.snoozed_until <= today:
            out[key] = TaskState("acknowledged" if key in acked else "open", s.assignee, None,
                                 s.note, s.last_by, s.last_at)
    return out


TASK_COLUMNS = {"status": pl.Utf8, "assignee": pl.Utf8, "snoozed_until": pl.Date,
                "task_note": pl.Utf8, "last_action_by": pl.Utf8, "last_action_at": pl.Utf8}


def work_list(alerts: pl.DataFrame, base: Path | None = None, *,
              types: list[str] | None = None, tiers: list[str] | None = None,
              assignee: str | None = None, show_done: bool = False) -> pl.DataFrame:
    """``alerts`` (rows of fct_customer_alerts: customer_id, alert_type, since_date, ...) with
    their task state, filtered: by alert type, by tier, by assignee (tasks assigned to them, or
    unassigned ones of their own customers when the frame is already scoped), and without
    closed and snoozed ones unless ``show_done``."""
    st = states(base)
    keys = [task_key(c, t, s) for c, t, s in
            zip(alerts["customer_id"], alerts["alert_type"], alerts["since_date"])] \
        if alerts.height else []
    found = [st.get(k, TaskState()) for k in keys]
    frame = alerts.with_columns(
        pl.Series("status", [s.status for s in found], dtype=pl.Utf8),
        pl.Series("assignee", [s.assignee for s in found], dtype=pl.Utf8),
        pl.Series("snoozed_until", [s.snoozed_until for s in found], dtype=pl.Date),
        pl.Series("task_note", [s.note for s in found], dtype=pl.Utf8),
        pl.Series("last_action_by", [s.last_by for s in found], dtype=pl.Utf8),
        pl.Series("last_action_at", [s.last_at for s in found], dtype=pl.Utf8),
    )
    if types:
        frame = frame.filter(pl.col("alert_type").is_in(types))
    if tiers and "tier" in frame.columns:
        frame = frame.filter(pl.col("tier").is_in(tiers))
    if assignee:
        frame = frame.filter(pl.col("assignee") == assignee)
    if not show_done:
        frame = frame.filter(pl.col("status").is_in(["open", "acknowledged"]))
    return frame
