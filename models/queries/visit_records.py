"""Visit records entered in the app: a check-in and what the call gave, written to the lake.

Decision: a record is a lake load of entity ``visits`` made through ``models.pipeline.ingest`` (one
small Parquet file per submission, read back by the same contract checks as an uploaded file), not a
second store the build would union in. So there is one path into the marts: the next build
takes the record in like any visits file, staging applies every row rule (a bad customer, a
future date, an out-of-range level are rejected rows with a reason), and the load is atomic
(ingest writes a temporary file and renames it: a crash leaves the whole file or none).

- ``visit_id`` is made by the client when the form opens (``new_visit_id``) and kept across
  reruns, so a double tap or a retry submits the same id. Under a lock per id, a second submit
  of an id already recorded returns the first record (``duplicate``) and writes nothing; a
  correction (``correct=True``) writes a new file with the same id, and staging keeps the later
  load (the earlier row shows as ``superseded_by_later_load``). Records are never edited.
- Who and when: ``recorded_by`` (the signed-in user) and ``recorded_at`` are contract columns
  of the visit, and the load record in the file's footer says when it was accepted.
- The index ``$SALESDESK_HOME/visit_records/<yyyy-mm>.jsonl`` (append-only, one line per
  stored record, written after the lake file) is what the pages read to show a record at once,
  before the next build. A crash between the lake file and the index line loses only the
  instant display: the record still reaches the marts at the next build.

- Compaction (``compact``, run by every build before dbt, under the build lock): the records
  of a closed day (before today) are merged into one lake file per day, so neither the lake
  nor the build's file list grows by one file per visit. The merged file keeps every visit id
  with its who/when columns, and only the latest version of a corrected record (what staging
  would keep); the small files are then removed. The marts are the same; the rejected rows no
  longer list the superseded versions (the index still holds every version).

No streamlit import: the Today page calls ``record`` and ``recent``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import io
import re
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from models.core import clock, jsonlog, settings
from models.core.errors import UserError
from models.pipeline import contracts, ingest

SOURCE_PREFIX = "visits-app-"
NOTE_MAX_CHARS = 2000
_ID = re.compile(r"^[A-Za-z0-9_-]{8,80}$")


def records_dir(base: Path | None = None) -> Path:
    return (base or settings.home()) / "visit_records"


def now() -> dt.datetime:
    """The record clock: the desk's today (``models.core.clock``, pinned in tests) at the current
    time of day, to the second. Never after the build's as-of date when today is pinned."""
    return dt.datetime.combine(clock.today(), dt.datetime.now().time().replace(microsecond=0))


def new_visit_id(rep_id: str, at: dt.datetime | None = None) -> str:
    """A client-made visit id: the rep, the moment and a random tail (unique without asking
    the server). Make it once per form and keep it, so a resubmit reuses it."""
    at = at or now()
    rep = re.sub(r"[^A-Za-z0-9]", "", str(rep_id))[:20] or "rep"
    return f"APP-{rep}-{at:%Y%m%d%H%M%S}-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class VisitRecord:
    visit_id: str
    rep_id: str
    customer_id: str
    started_at: dt.datetime
    visit_type: str = "onsite"
    purpose: str = "maintain"
    outcome: str = "no_order"
    relationship_level: int | None = None
    checkin_latitude: float | None = None
    checkin_longitude: float | None = None
    notes: str | None = None
    next_step: str | None = None
    follow_up_date: dt.date | None = None
    ended_at: dt.datetime | None = None
    recorded_by: str = ""
    recorded_at: dt.datetime | None = None

    @property
    def has_location(self) -> bool:
        return self.checkin_latitude is not None and self.checkin_longitude is not None


def check(r: VisitRecord) -> None:
    """The form's own checks, with a message naming the field. The contract checks of ingest
    and the row rules of staging still apply to what passes."""
    where = f"Visit record {r.visit_id}"
    if not _ID.match(r.visit_id or ""):
        raise UserError(f"{where}: visit id: use 8-80 letters, digits, '-' or '_'.")
    for field, value in (("rep", r.rep_id), ("customer", r.customer_id)):
        if not str(value or "").strip():
            raise UserError(f"{where}: {field}: choose one.")
    if r.visit_type not in contracts.VISIT_TYPES:
        raise UserError(f"{where}: visit type: {r.visit_type!r} is not one of "
                        f"{', '.join(contracts.VISIT_TYPES)}.")
    if r.purpose not in contracts.VISIT_PURPOSES:
        raise UserError(f"{where}: purpose: {r.purpose!r} is not one of "
                        f"{', '.join(contracts.VISIT_PURPOSES)}.")
    if r.outcome not in contracts.VISIT_OUTCOMES:
        raise UserError(f"{where}: outcome: {r.outcome!r} is not one of "
                        f"{', '.join(contracts.VISIT_OUTCOMES)}.")
    if r.relationship_level is not None and not 1 <= int(r.relationship_level) <= 5:
        raise UserError(f"{where}: relationship level: {r.relationship_level} is not 1 to 5.")
    if (r.checkin_latitude is None) != (r.checkin_longitude is None):
        raise UserError(f"{where}: location: latitude and longitude go together.")
    if r.has_location and not (-90 <= r.checkin_latitude <= 90
                               and -180 <= r.checkin_longitude <= 180):
        raise UserError(f"{where}: location: {r.checkin_latitude}, {r.checkin_longitude} is "
                        "not a place on earth.")
    if r.started_at.date() > clock.today():
        raise UserError(f"{where}: started: {r.started_at:%Y-%m-%d} is after today "
                        f"({clock.today():%Y-%m-%d}).")
    if r.ended_at is not None and r.ended_at < r.started_at:
        raise UserError(f"{where}: ended: before the check-in ({r.started_at:%H:%M}).")
    for field, value in (("notes", r.notes), ("next step", r.next_step)):
        if value is not None and len(value) > NOTE_MAX_CHARS:
            raise UserError(f"{where}: {field}: {len(value):,} characters, over the "
                            f"{NOTE_MAX_CHARS:,} a record may have.")


def _table(r: VisitRecord) -> pa.Table:
    entity = contracts.ENTITIES["visits"]
    values = asdict(r)
    arrow = {"text": pa.string(), "integer": pa.int64(), "double": pa.float64(),
             "date": pa.date32(), "timestamp": pa.timestamp("s")}
    return pa.table({c.name: pa.array([values.get(c.name)], arrow[c.type])
                     for c in entity.columns})


def to_parquet(r: VisitRecord) -> bytes:
    """The record as a one-row Parquet file of the visits contract."""
    out = io.BytesIO()
    pq.write_table(_table(r), out)
    return out.getvalue()


@contextlib.contextmanager
def _id_lock(base: Path | None, visit_id: str) -> Iterator[None]:
    folder = (base or settings.home()) / "tmp" / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"visit-{visit_id}.lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _index_path(base: Path | None, month: dt.date) -> Path:
    return records_dir(base) / f"{month:%Y-%m}.jsonl"


def _index_rows(base: Path | None, months: list[dt.date]) -> list[dict]:
    rows: list[dict] = []
    for m in months:
        rows.extend(jsonlog.read(_index_path(base, m)))
    return rows


def _months_back(day: dt.date, n: int) -> list[dt.date]:
    first = day.replace(day=1)
    out = []
    for _ in range(n):
        out.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return out


@dataclass(frozen=True)
class Stored:
    record: dict
    duplicate: bool  # True: the id was already recorded; nothing was written
    load_id: str | None


def record(r: VisitRecord, base: Path | None = None, correct: bool = False) -> Stored:
    """Check the record and write it to the lake (see the module docstring). A UserError
    names the field at fault; nothing is written then."""
    if r.recorded_at is None:
        r = VisitRecord(**{**asdict(r), "recorded_at": now()})
    check(r)
    month = r.started_at.date().replace(day=1)
    with _id_lock(base, r.visit_id):
        earlier = [row for row in _index_rows(base, [month])
                   if row["visit_id"] == r.visit_id]
        if earlier and not correct:
            return Stored(record=earlier[-1], duplicate=True, load_id=earlier[-1].get("load_id"))
        result = ingest.ingest_upload(f"{SOURCE_PREFIX}{r.visit_id}.parquet", to_parquet(r),
                                      entity="visits", base=base)
        line = {**{k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v)
                   for k, v in asdict(r).items()},
                "load_id": result.load_id, "is_correction": bool(earlier)}
        jsonlog.append(_index_path(base, month), line)
    return Stored(record=line, duplicate=False, load_id=result.load_id)


RECENT_SCHEMA = {
    "visit_id": pl.Utf8, "rep_id": pl.Utf8, "customer_id": pl.Utf8, "started_at": pl.Datetime,
    "visit_type": pl.Utf8, "purpose": pl.Utf8, "outcome": pl.Utf8,
    "relationship_level": pl.Int64, "has_checkin_location": pl.Boolean, "notes": pl.Utf8,
    "next_step": pl.Utf8, "follow_up_date": pl.Date, "recorded_by": pl.Utf8,
    "recorded_at": pl.Datetime,
}


def recent(rep_id: str | None = None, customer_id: str | None = None,
           customer_ids: set[str] | None = None, base: Path | None = None,
           months: int = 2) -> pl.DataFrame:
    """Records entered in the app in the last ``months`` months (newest first; a corrected
    record once, as corrected), for showing them before the next build takes them in."""
    rows = _index_rows(base, _months_back(clock.today(), months))
    latest: dict[str, dict] = {}
    for row in rows:
        latest[row["visit_id"]] = row
    out = []
    for row in latest.values():
        if rep_id is not None and row["rep_id"] != rep_id:
            continue
        if customer_id is not None and row["customer_id"] != customer_id:
            continue
        if customer_ids is not None and row["customer_id"] not in customer_ids:
            continue
        out.append({
            **{k: row.get(k) for k in RECENT_SCHEMA},
            "started_at": dt.datetime.fromisoformat(row["started_at"]),
            "recorded_at": dt.datetime.fromisoformat(row["recorded_at"]),
            "follow_up_date": (dt.date.fromisoformat(row["follow_up_date"])
                               if row.get("follow_up_date") else None),
            "has_checkin_location": row.get("checkin_latitude") is not None,
        })
    frame = pl.DataFrame(out, schema=RECENT_SCHEMA)
    return frame.sort("started_at", descending=True)


COMPACT_MONTHS = 3  # closed days of the last N months are merged


def _compacted_path(base: Path | None) -> Path:
    return records_dir(base) / "compacted.jsonl"


def compact(base: Path | None = None, before: dt.date | None = None) -> list[str]:
    """Merge the records of each closed day (before ``before``, default today) into one lake
    file (see the module docstring); a note per merged day."""
    before = before or clock.today()
    lake = settings.lake_dir(base) / "visits"
    by_day: dict[dt.date, set[str]] = {}
    for row in _index_rows(base, _months_back(before, COMPACT_MONTHS)):
        day = dt.datetime.fromisoformat(row["started_at"]).date()
        if day < before and row.get("load_id"):
            by_day.setdefault(day, set()).add(row["load_id"])
    merged_before = {dt.date.fromisoformat(r["day"]): r["load_id"]
                     for r in jsonlog.read(_compacted_path(base))}
    notes = []
    columns = list(contracts.ENTITIES["visits"].column_names)
    for day, load_ids in sorted(by_day.items()):
        if day in merged_before:
            load_ids = load_ids | {merged_before[day]}
        files = [lake / f"{i}.parquet" for i in sorted(load_ids)
                 if (lake / f"{i}.parquet").exists()]
        if len(files) < 2:
            continue
        rows = pl.concat([pl.read_parquet(f) for f in files], how="diagonal_relaxed")
        latest = (rows.sort(["_loaded_at", "_load_id"], descending=True)
                  .unique("visit_id", keep="first").sort("visit_id"))
        out = io.BytesIO()
        pq.write_table(latest.select(columns).to_arrow().cast(_table_schema()), out)
        result = ingest.ingest_upload(f"{SOURCE_PREFIX}day-{day:%Y-%m-%d}.parquet",
                                      out.getvalue(), entity="visits", base=base)
        jsonlog.append(_compacted_path(base), {"day": day.isoformat(),
                                               "load_id": result.load_id,
                                               "merged": [f.stem for f in files],
                                               "at": dt.datetime.now(dt.timezone.utc)
                                               .isoformat(timespec="seconds")})
        for f in files:
            if f.stem != result.load_id:
                f.unlink()
        ingest._write_load_log(base)
        notes.append(f"Merged {len(files)} visit record files of {day:%Y-%m-%d} into one lake "
                     f"file ({latest.height} visits).")
    return notes


def _table_schema() -> pa.Schema:
    return _table(VisitRecord(visit_id="x" * 8, rep_id="r", customer_id="c",
                              started_at=dt.datetime(2000, 1, 1))).schema
