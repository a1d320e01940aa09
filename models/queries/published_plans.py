"""Published week plans: a manager hands a rep's plan to the rep, who sees exactly that plan.

Stored append-only under ``$SALESDESK_HOME/plans/<rep_id>/<first day>.jsonl``, one JSON line
per publication (who, when, the build it was planned on, the stops in order, the days and what
was not planned), written under an exclusive ``fcntl`` lock so two managers publishing at once
both land whole. Never in the warehouse file, which each build replaces. The plan in force for
a rep and a week is the last line; earlier ones stay as the history.

Compliance against the published plan (``compliance``): per planned day, the stops planned, the
planned customers visited on site that day, those visited on another day of the week instead,
and the onsite visits to customers that were not in the plan (``fct_visits``).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from models.core import settings
from models.core.errors import UserError
from models.core.scoping import Scope
from models.core.warehouse import Warehouse
from models.engines.planner import NamedPlan, RepBase, RoutePlan, Totals
from models.queries.filters import read

FORMAT = 1
_REP_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
VISIT_FIELDS = ["date", "day", "seq", "customer_id", "customer_name", "tier", "must_visit",
                "win_back", "address", "district", "window", "arrival", "start", "departure",
                "arrival_min", "start_min", "departure_min", "visit_minutes", "travel_minutes",
                "km", "latitude", "longitude", "why", "phone", "geo"]


def plans_dir(home: Path | None = None) -> Path:
    return (home or settings.home()) / "plans"


def _path(home: Path | None, rep_id: str, first_day: date) -> Path:
    if not _REP_ID.match(rep_id or ""):
        raise UserError(f"Cannot publish a plan for rep id {rep_id!r}: not a plain rep id.")
    return plans_dir(home) / rep_id / f"{first_day:%Y-%m-%d}.jsonl"


@dataclass
class PublishedPlan(NamedPlan):
    """A plan as published: what the rep follows. Exports (``planner.to_csv``, ``to_ics``,
    ``to_html``) take it like a fresh ``RoutePlan``."""

    rep: RepBase
    dates: list[date]
    visits: pl.DataFrame
    days: pl.DataFrame
    unplanned: pl.DataFrame
    optimised: Totals
    published_by: str
    published_at: datetime
    build_id: str | None
    version: int  # 1 for the first publication of this rep and week
    built_at: datetime = field(default_factory=datetime.now)


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def publish(rp: RoutePlan, published_by: str, build_id: str | None = None,
            home: Path | None = None, now: datetime | None = None) -> PublishedPlan:
    """Append ``rp`` as the rep's published plan for its first day's week; the stored plan."""
    if not published_by:
        raise UserError("A plan is published by a signed-in user; nobody is signed in.")
    if rp.visits.is_empty():
        raise UserError("There is nothing to publish: no visit could be planned.")
    path = _path(home, rp.rep.rep_id, rp.dates[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    visits = rp.visits.select([c for c in VISIT_FIELDS if c in rp.visits.columns])
    record = {
        "format": FORMAT,
        "published_by": published_by,
        "published_at": (now or datetime.now()).replace(microsecond=0).isoformat(),
        "build_id": build_id,
        "rep": {k: _plain(v) for k, v in rp.rep.__dict__.items()},
        "dates": [d.isoformat() for d in rp.dates],
        "visits": [{k: _plain(v) for k, v in row.items()}
                   for row in visits.iter_rows(named=True)],
        "days": [{k: _plain(v) for k, v in row.items()} for row in rp.days.iter_rows(named=True)],
        "unplanned": rp.unplanned.to_dicts(),
        "totals": rp.optimised.__dict__,
    }
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    return latest(rp.rep.rep_id, rp.dates[0], home)


def _read_lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        try:
            text = handle.read()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise UserError(f"{path}, line {number}: not a published plan ({e.msg}); the file "
                            "is append-only, ask an admin to look at it.") from e
    return records


def history(rep_id: str, first_day: date, home: Path | None = None) -> pl.DataFrame:
    """Every publication of the rep's plan for the week: version, who, when, visits."""
    records = _read_lines(_path(home, rep_id, first_day))
    return pl.DataFrame(
        [{"version": i, "published_by": r["published_by"], "published_at": r["published_at"],
          "visits": len(r["visits"]), "build_id": r.get("build_id")}
         for i, r in enumerate(records, start=1)],
        schema={"version": pl.Int64, "published_by": pl.Utf8, "published_at": pl.Utf8,
                "visits": pl.Int64, "build_id": pl.Utf8})


def latest(rep_id: str, first_day: date, home: Path | None = None) -> PublishedPlan | None:
    """The plan in force: the last publication for the rep and the week, or None."""
    path = _path(home, rep_id, first_day)
    records = _read_lines(path)
    if not records:
        return None
    r = records[-1]
    rep = RepBase(**r["rep"])
    visits = pl.DataFrame(r["visits"], infer_schema_length=None)
    if not visits.is_empty():
        visits = visits.with_columns(pl.col("date").str.to_date())
        if "phone" in visits.columns:
            visits = visits.with_columns(pl.col("phone").cast(pl.Utf8))
    days = pl.DataFrame(r["days"], infer_schema_length=None)
    if not days.is_empty():
        days = days.with_columns(pl.col("date").str.to_date())
    unplanned = pl.DataFrame(r["unplanned"], schema={
        "customer_id": pl.Utf8, "customer_name": pl.Utf8, "tier": pl.Utf8,
        "must_visit": pl.Boolean, "reason": pl.Utf8})
    from models.engines.planner import with_navigation

    return PublishedPlan(
        rep=rep, dates=[date.fromisoformat(d) for d in r["dates"]],
        visits=with_navigation(visits), days=days, unplanned=unplanned,
        optimised=Totals(**r["totals"]), published_by=r["published_by"],
        published_at=datetime.fromisoformat(r["published_at"]), build_id=r.get("build_id"),
        version=len(records))


def compliance(wh: Warehouse, scope: Scope, plan: PublishedPlan) -> pl.DataFrame:
    """Planned against done, per day of the published plan: planned stops, planned customers
    visited on site that day, visited on another day of the plan instead, not visited in the
    plan's days, and onsite visits that day to customers outside the plan."""
    first, last = min(plan.dates), max(plan.dates)
    done = read(wh, """
        select customer_id, visit_date
        from fct_visits
        where rep_id = $rep_id and is_onsite and visit_date between $first and $last
    """, scope, {"rep_id": plan.rep.rep_id, "first": first, "last": last})
    visited: dict[str, set[date]] = {}
    for cid, day in done.iter_rows():
        visited.setdefault(cid, set()).add(day)
    planned_ids = set(plan.visits["customer_id"].to_list()) if not plan.visits.is_empty() \
        else set()
    rows = []
    for day in plan.dates:
        stops = (plan.visits.filter(pl.col("date") == day)["customer_id"].to_list()
                 if not plan.visits.is_empty() else [])
        on_day = sum(1 for c in stops if day in visited.get(c, set()))
        other = sum(1 for c in stops if day not in visited.get(c, set())
                    and visited.get(c, set()))
        extra = sum(1 for c, days in visited.items() if c not in planned_ids and day in days)
        rows.append({"date": day, "day": f"{day:%a %d %b}", "planned": len(stops),
                     "done_as_planned": on_day, "done_another_day": other,
                     "not_done": len(stops) - on_day - other, "unplanned_visits": extra,
                     "compliance": (on_day / len(stops)) if stops else None})
    return pl.DataFrame(rows, schema={
        "date": pl.Date, "day": pl.Utf8, "planned": pl.Int64, "done_as_planned": pl.Int64,
        "done_another_day": pl.Int64, "not_done": pl.Int64, "unplanned_visits": pl.Int64,
        "compliance": pl.Float64})
