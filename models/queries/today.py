"""A rep's day (the Today page): the stops in route order, each with what the call needs, and
the progress through the day.

The stops come from the rep's published plan for the day (a day plan, or the day's part of the
published week plan, ``models.queries.published_plans``); when none was published, from the
rep's due list for the day (``planner.due_list``, most overdue first). Each stop carries the
customer's contact and phone (tap-to-call), the navigation link (``planner.with_navigation``), the
last visit's note (the build's ``fct_visits``, or a record entered since,
``models.queries.visit_records``), the customer's open alerts (``fct_customer_alerts`` with their
task state, ``models.queries.alert_tasks``) and whether the stop is done today (a visit of the rep
to the customer on the day, in the build or recorded since).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from models.core.scoping import Scope
from models.core.warehouse import Warehouse
from models.engines import planner
from models.i18n import translate
from models.queries import alert_tasks, published_plans, visit_records
from models.queries.filters import read

STOP_SCHEMA = {
    "seq": pl.Int64, "customer_id": pl.Utf8, "customer_name": pl.Utf8, "tier": pl.Utf8,
    "why": pl.Utf8, "window": pl.Utf8, "arrival": pl.Utf8, "address": pl.Utf8,
    "contact_name": pl.Utf8, "phone": pl.Utf8, "call": pl.Utf8, "navigation": pl.Utf8,
    "last_visit_date": pl.Date, "last_note": pl.Utf8, "open_alerts": pl.Utf8,
    "is_done": pl.Boolean,
}


@dataclass(frozen=True)
class Day:
    rep_id: str
    day: date
    source: str  # "published plan (version N, by X)" or "due list (no published plan)"
    stops: pl.DataFrame  # STOP_SCHEMA, in route order

    @property
    def done(self) -> int:
        return int(self.stops["is_done"].sum()) if self.stops.height else 0

    @property
    def total(self) -> int:
        return self.stops.height


def _planned(rep_id: str, day: date, home: Path | None,
             lang: str = "en") -> tuple[pl.DataFrame, str] | None:
    monday = day - timedelta(days=day.weekday())
    for first in dict.fromkeys([day, monday]):
        plan = published_plans.latest(rep_id, first, home)
        if plan is None or plan.visits.is_empty() or day not in plan.dates:
            continue
        visits = plan.visits.filter(pl.col("date") == day).sort("seq")
        if plan.is_week:
            source = translate(lang, "published plan (week plan, version {version}, by {who})",
                               version=plan.version, who=plan.published_by)
        else:
            source = translate(lang, "published plan (day plan, version {version}, by {who})",
                               version=plan.version, who=plan.published_by)
        return visits, source
    return None


def _due(wh: Warehouse, scope: Scope, rep_id: str, day: date) -> pl.DataFrame:
    due = planner.due_list(wh, scope, rep_id, [day])
    if due.is_empty():
        return pl.DataFrame()
    due = due.with_columns(
        pl.int_range(1, due.height + 1).alias("seq"),
        (pl.col("visit_window_start").fill_null("") + "-"
         + pl.col("visit_window_end").fill_null("")).alias("window"))
    return planner.with_navigation(due)


def _customer_info(wh: Warehouse, scope: Scope, ids: list[str]) -> pl.DataFrame:
    return read(wh, """
        select customer_id, contact_name, phone, address, tier
        from dim_customers
        where list_contains($ids, customer_id)
    """, scope, {"ids": ids})


def last_notes(wh: Warehouse, scope: Scope, ids: list[str], home: Path | None = None
               ) -> pl.DataFrame:
    """The last visit with a note per customer (built visits, and records entered since)."""
    built = read(wh, """
        select customer_id, visit_date, notes
        from fct_visits
        where list_contains($ids, customer_id) and notes is not null
        qualify row_number() over (partition by customer_id
                                   order by started_at desc, visit_id desc) = 1
    """, scope, {"ids": ids}).with_columns(pl.col("visit_date").cast(pl.Date))
    fresh = visit_records.recent(customer_ids=set(ids), base=home)
    fresh = fresh.filter(pl.col("notes").is_not_null()).select(
        "customer_id", pl.col("started_at").dt.date().alias("visit_date"), "notes")
    both = pl.concat([fresh, built.select("customer_id", "visit_date", "notes")])
    return both.sort("visit_date", descending=True, maintain_order=True) \
        .unique("customer_id", keep="first", maintain_order=True)


def visited_on(wh: Warehouse, scope: Scope, rep_id: str, day: date,
               home: Path | None = None) -> set[str]:
    """Customers the rep visited (on site or by phone) on ``day``: built or recorded since."""
    built = read(wh, """
        select distinct customer_id from fct_visits
        where rep_id = $rep_id and visit_date = $day
    """, scope, {"rep_id": rep_id, "day": day})
    fresh = visit_records.recent(rep_id=rep_id, base=home)
    fresh = fresh.filter(pl.col("started_at").dt.date() == day)
    return set(built["customer_id"].to_list()) | set(fresh["customer_id"].to_list())


def open_alerts(wh: Warehouse, scope: Scope, ids: list[str] | None = None,
                home: Path | None = None, show_done: bool = False) -> pl.DataFrame:
    """The open alerts (in scope; of ``ids`` when given) with their task state."""
    alerts = read(wh, """
        select a.customer_id, c.customer_name, c.maintainer_rep_id, a.alert_type, a.severity,
               a.since_date, a.detail, a.tier
        from fct_customer_alerts as a
        join dim_customers as c on a.customer_id = c.customer_id
        where $all or list_contains($ids, a.customer_id)
        order by case a.severity when 'high' then 0 when 'medium' then 1 else 2 end,
                 a.since_date, a.customer_id
    """, scope, {"all": ids is None, "ids": ids or []})
    return alert_tasks.work_list(alerts, base=home, show_done=show_done)


def rep_day(wh: Warehouse, scope: Scope, rep_id: str, day: date,
            home: Path | None = None, lang: str = "en") -> Day:
    """The rep's stops on ``day`` (see the module docstring); where they come from in
    ``lang``."""
    planned = _planned(rep_id, day, home, lang)
    if planned is not None:
        visits, source = planned
    else:
        visits = _due(wh, scope, rep_id, day)
        source = translate(lang, "due list (no published plan for the day)")
    if visits.is_empty():
        return Day(rep_id, day, source, pl.DataFrame(schema=STOP_SCHEMA))
    ids = visits["customer_id"].to_list()
    info = {r["customer_id"]: r for r in _customer_info(wh, scope, ids).iter_rows(named=True)}
    notes = {r["customer_id"]: r for r in last_notes(wh, scope, ids, home).iter_rows(named=True)}
    alerts: dict[str, list[str]] = {}
    for r in open_alerts(wh, scope, ids, home).iter_rows(named=True):
        alerts.setdefault(r["customer_id"], []).append(
            alert_tasks.ALERT_LABELS.get(r["alert_type"], r["alert_type"]))
    done = visited_on(wh, scope, rep_id, day, home)
    rows = []
    for v in visits.iter_rows(named=True):
        cid = v["customer_id"]
        c = info.get(cid, {})
        phone = c.get("phone") or v.get("phone")
        rows.append({
            "seq": v["seq"], "customer_id": cid, "customer_name": v["customer_name"],
            "tier": c.get("tier") or v.get("tier"), "why": v.get("why"),
            "window": v.get("window"), "arrival": v.get("arrival"),
            "address": c.get("address") or v.get("address"),
            "contact_name": c.get("contact_name"), "phone": phone, "call": planner.call_link(phone),
            "navigation": v.get("navigation"),
            "last_visit_date": notes.get(cid, {}).get("visit_date"),
            "last_note": notes.get(cid, {}).get("notes"),
            "open_alerts": ", ".join(alerts.get(cid, [])) or None,
            "is_done": cid in done,
        })
    return Day(rep_id, day, source, pl.DataFrame(rows, schema=STOP_SCHEMA))
