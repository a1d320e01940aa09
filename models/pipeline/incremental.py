"""What a build recomputes: every month (a full build) or only the months whose data changed.

A full build writes a new, empty warehouse file. An incremental build starts from a copy of the
current warehouse and passes the months to recompute to dbt as the var ``changed_months``; the
order-line and visit models that are incremental by month (``macros/build/changed_months.sql``)
delete those months and insert them again, every other model is rebuilt whole from them.

A build is incremental when nothing it cannot follow month by month changed since the current
warehouse was built (``plan`` says which, in ``Plan.reason``):

- the engine (dbt-core, dbt-duckdb, DuckDB versions) and the dbt project (models, macros,
  seeds, tests, dbt_project.yml), file by file;
- the vars the build is given (``as_of_date`` apart, below);
- the master files of the lake (customers, reps, products, quotas): any new or removed load
  of them can reach any month (an account moved, a product's band, a quota); assessments feed
  only the customer scores, rebuilt whole by every build;
- a sales load removed, order lines older than the start of the history (the first-order rule
  reads it), or the as-of date moved back.

Otherwise the changed months are:

- the months of the new loads' sales and visits (each row's order or visit month);
- the months of the rows already in the warehouse with the same key as a new row (a later load
  replaces them), and of the rows of removed visit loads (the app's visit records are merged
  into one file per day) and of the rows with their keys;
- the month of a customer's first order when a new order line comes before it (the first-order
  month of the commission split moves);
- the months from the last build's as-of date to this one's (rows dated after the old as-of
  date were rejected as in the future and may now count), and of the order lines and visits of
  a customer opened since (rejected before as of an unknown customer); other master rows
  rejected for that reason, or the as-of date moved back, make the build full.

``salesdesk build --full`` (``run_build(full=True)``) always builds in full.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from models.core import settings
from models.core.clock import add_months
from models.i18n import DEFAULT_LANG
from models.i18n.messages import N_, Text
from models.pipeline.contracts import ENTITIES

# The facts the warehouse follows month by month: the column a row's month is read from, its key
# and the base model that holds every lake row of them (valid or rejected).
FACTS = {
    "sales": {"date": "order_date", "key": ("order_id", "line_number"),
              "base": "base_sales_lake__sales"},
    "visits": {"date": "started_at", "key": ("visit_id",),
               "base": "base_sales_lake__visits"},
}
# Files no month-incremental model reads (assessments feed the customer scores only, a table
# rebuilt whole by every build): a load of them changes no month.
UNMONTHLY = ("assessments",)
MASTERS = tuple(e for e in ENTITIES if e not in FACTS and e not in UNMONTHLY)
# Vars that never trigger a full build: the as-of date is followed month by month, and
# changed_months is this plan's own output.
UNFINGERPRINTED_VARS = ("as_of_date", "changed_months")
# What the project's behaviour depends on: every file under these (dbt_project/...).
PROJECT_PARTS = ("dbt_project.yml", "models", "macros", "seeds", "tests", "analyses")


@dataclass
class Plan:
    mode: str  # "full" or "incremental"
    why: Text  # why, in any language (str(why): English, for the record and the output)
    changed_months: list[str] = field(default_factory=list)  # 'YYYY-MM-01', incremental only
    previous_build: str = ""  # the build an incremental one starts from

    @property
    def reason(self) -> str:
        return str(self.why)

    @property
    def incremental(self) -> bool:
        return self.mode == "incremental"

    def dbt_vars(self, dbt_vars: dict) -> dict:
        """The build's vars with ``changed_months`` when incremental."""
        out = {k: v for k, v in dbt_vars.items() if k != "changed_months"}
        if self.incremental:
            out["changed_months"] = self.changed_months
        return out

    def text(self) -> str:
        if not self.incremental:
            return f"Full build: {self.reason}."
        months = self.changed_months
        shown = ", ".join(m[:7] for m in months[:6]) + (" ..." if len(months) > 6 else "")
        return (f"Incremental build from {self.previous_build}: {len(months)} month(s) to "
                f"recompute{' (' + shown + ')' if months else ''}; {self.reason}.")


def project_files() -> dict[str, str]:
    """Each file of the dbt project that shapes the data, with a hash of its content."""
    root = settings.DBT_PROJECT_DIR
    files = {}
    for part in PROJECT_PARTS:
        path = root / part
        paths = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for p in paths:
            files[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()[:16]
    return files


def engine_versions() -> str:
    """dbt's and DuckDB's versions: another engine may compute a month otherwise."""
    from importlib.metadata import version

    return f"dbt-core {version('dbt-core')}, dbt-duckdb {version('dbt-duckdb')}, " \
           f"duckdb {duckdb.__version__}"


def lake_loads(base: Path | None = None) -> dict[str, list[str]]:
    """The load ids (lake file names) of each entity now."""
    lake = settings.lake_dir(base)
    return {e: sorted(p.stem for p in (lake / e).glob("*.parquet")) for e in ENTITIES}


def fingerprint(base: Path | None, dbt_vars: dict) -> dict:
    """What a build depends on beyond the facts' new rows; kept in its record."""
    return {
        "engine": engine_versions(),
        "project": project_files(),
        "vars": {k: v for k, v in sorted(dbt_vars.items()) if k not in UNFINGERPRINTED_VARS},
        "loads": lake_loads(base),
        "as_of_date": dbt_vars.get("as_of_date"),
    }


def _changed_files(old: dict, new: dict) -> list[str]:
    return sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))


def _months(first: dt.date, last: dt.date) -> list[str]:
    out, month = [], first.replace(day=1)
    while month <= last:
        out.append(month.isoformat())
        month = add_months(month, 1)
    return out


def plan(base: Path | None, dbt_vars: dict, previous: dict | None, current_file: Path | None,
         full: bool = False) -> tuple[Plan, dict]:
    """The plan of a build with ``dbt_vars`` (as-of date set), and its fingerprint.
    ``previous``: the record of the current build (None: there is none)."""
    now = fingerprint(base, dbt_vars)
    if full:
        return Plan("full", N_("asked for (--full)")), now
    if previous is None or current_file is None or not current_file.exists():
        return Plan("full", N_("there is no current warehouse to start from")), now
    before = previous.get("fingerprint")
    previous_id = previous.get("build_id", "")
    if not before:
        return Plan("full", N_("the current build {build} has no record of its inputs (built "
                               "before incremental builds)", build=previous_id)), now
    if before.get("engine") != now["engine"]:
        return Plan("full", N_("the engine changed since {build} ({then} then, {now} now)",
                               build=previous_id, then=str(before.get("engine")),
                               now=now["engine"])), now
    changed = _changed_files(before.get("project", {}), now["project"])
    if changed:
        shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3
                                          else "")
        return Plan("full", N_("the dbt project changed since {build} ({files})",
                               build=previous_id, files=shown)), now
    changed_vars = _changed_files(before.get("vars", {}), now["vars"])
    if changed_vars:
        return Plan("full", N_("var(s) {names} changed since {build}",
                               names=", ".join(changed_vars), build=previous_id)), now
    old_loads, new_loads = before.get("loads", {}), now["loads"]
    for entity in MASTERS:
        if sorted(old_loads.get(entity, [])) != new_loads.get(entity, []):
            return Plan("full", N_("the {entity} files changed since {build} (a master file "
                                   "can change any month)", entity=entity, build=previous_id)), now
    removed_sales = set(old_loads.get("sales", [])) - set(new_loads.get("sales", []))
    if removed_sales:
        return Plan("full", N_("{n} sales load(s) were removed from the lake",
                               n=len(removed_sales))), now
    old_as_of = dt.date.fromisoformat(str(before.get("as_of_date")))
    new_as_of = dt.date.fromisoformat(str(dbt_vars["as_of_date"]))
    if new_as_of < old_as_of:
        return Plan("full", N_("the as-of date moved back ({before} to {now})",
                               before=old_as_of.isoformat(), now=new_as_of.isoformat())), now

    try:
        return _plan_months(base, now, before, previous_id, current_file, old_as_of, new_as_of)
    except duckdb.Error as e:  # a damaged or unreadable current file: start afresh
        first = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        return Plan("full", N_("the current warehouse could not be read ({error})",
                               error=first)), now


def _plan_months(base: Path | None, now: dict, before: dict, previous_id: str,
                 current_file: Path, old_as_of: dt.date, new_as_of: dt.date
                 ) -> tuple[Plan, dict]:
    old_loads, new_loads = before.get("loads", {}), now["loads"]
    changes = {e: (sorted(set(new_loads.get(e, [])) - set(old_loads.get(e, []))),  # added
                   sorted(set(old_loads.get(e, [])) - set(new_loads.get(e, []))))  # removed
               for e in FACTS}
    con = duckdb.connect(config=settings.build_duckdb_config(base))
    try:
        quoted = str(current_file).replace("'", "''")
        con.execute(f"attach '{quoted}' as previous (read_only)")
        months: set[str] = set()
        if new_as_of > old_as_of:
            found = _newly_dated_masters(con, old_as_of, new_as_of)
            if isinstance(found, Text):
                return Plan("full", found), now
            months |= found
        for entity, fact in FACTS.items():
            added, removed = changes[entity]
            found = _fact_months(con, base, entity, fact, added, removed)
            if isinstance(found, Text):
                return Plan("full", found), now
            months |= found
        if new_as_of > old_as_of:
            months |= set(_months(old_as_of, new_as_of))
    finally:
        con.close()
    loads_text = ", ".join(f"{e} {len(changes[e][0])}" for e in FACTS)
    reason = (N_("as of {day} (the last build: {before}); new loads: {loads}",
                 day=new_as_of.isoformat(), before=old_as_of.isoformat(), loads=loads_text)
              if new_as_of != old_as_of else
              N_("as of {day}; new loads: {loads}", day=new_as_of.isoformat(), loads=loads_text))
    return Plan("incremental", reason, sorted(months), previous_id), now


def _newly_dated_masters(con: duckdb.DuckDBPyConnection, old_as_of: dt.date,
                         new_as_of: dt.date) -> set[str] | Text:
    """Master rows rejected as dated after the last as-of date that count as of the new one.
    A new customer (opened since) reaches only its own rows: the months of its order lines
    and visits rejected before as of an unknown customer. Anything else: a full build."""
    staging = f"previous.{settings.STAGING_SCHEMA}"
    for entity in MASTERS:
        if entity == "customers":
            continue
        dated = con.execute(f"select count(*) from {staging}.base_sales_lake__{entity} "
                            "where rejection_rule = 'date_in_future'").fetchone()[0]
        if dated:
            return N_("{n} {entity} row(s) were dated after the last as-of date ({day}) and "
                      "may count now", n=dated, entity=entity, day=old_as_of.isoformat())
    con.execute(f"""create or replace temp table newly_dated as
        select customer_id from {staging}.base_sales_lake__customers
        where rejection_rule = 'date_in_future'
            and coalesce(opened_date, date '0001-01-01') <= date '{new_as_of}'
            and coalesce(assigned_from, date '0001-01-01') <= date '{new_as_of}'""")
    known = con.execute(f"select count(*) from newly_dated semi join "
                        f"{staging}.stg_sales_lake__customers using (customer_id)").fetchone()[0]
    if known:
        return N_("{n} customer row(s) dated after the last as-of date ({day}) change a "
                  "customer already on file", n=known, day=old_as_of.isoformat())
    months = set()
    for fact in FACTS.values():
        months |= {r[0].isoformat() for r in con.execute(
            f"select distinct {_month_sql(fact['date'])} "
            f"from {staging}.{fact['base']} semi join newly_dated using (customer_id) "
            f"where {fact['date']} is not null").fetchall()}
    return months


# The lake's non-text columns the plan compares, cast as the base models type them; any other
# column is text, trimmed to null (base_sales_lake__sales.sql's typed CTE).
TYPED = {"line_number": "cast(line_number as bigint)", "order_date": "cast(order_date as date)",
         "quantity": "cast(quantity as decimal(18, 3))",
         "unit_price": "cast(unit_price as decimal(18, 4))",
         "discount_rate": "cast(discount_rate as decimal(9, 6))"}
# An order line that replaces a customer's first order line and differs in none of these
# leaves the first order where it was.
FIRST_ORDER_COLUMNS = ("customer_id", "order_date", "sku", "rep_id", "quantity", "unit_price",
                       "discount_rate")


def _typed(column: str) -> str:
    """A lake column as the base models type it."""
    return TYPED.get(column, f"nullif(trim(cast({column} as varchar)), '')")


def _month_sql(column: str) -> str:
    """The first day of the month of a date or timestamp column (dbt: month_of)."""
    return f"cast(date_trunc('month', cast({column} as date)) as date)"


def _fact_months(con: duckdb.DuckDBPyConnection, base: Path | None, entity: str, fact: dict,
                 added: list[str], removed: list[str]) -> set[str] | Text:
    """The months a fact's new and removed loads touch, or the reason for a full build."""
    if not added and not removed:
        return set()
    lake = settings.lake_dir(base) / entity
    date, key = fact["date"], fact["key"]
    previous = f"previous.{settings.STAGING_SCHEMA}.{fact['base']}"
    month = _month_sql(date)
    keys = ", ".join(f"{_typed(c)} as {c}" for c in key)
    parts = []
    if added:
        files = [str(lake / f"{load}.parquet") for load in added]
        con.execute(f"create or replace temp view added as select * from read_parquet("
                    f"{files!r}, union_by_name = true)")
        parts.append(f"select {keys} from added")
    if removed:
        ids = ", ".join(f"'{load}'" for load in removed)
        parts.append(f"select {', '.join(key)} from {previous} where load_id in ({ids})")
    con.execute("create or replace temp table touched as select distinct * from ("
                + " union all ".join(parts) + ")")
    on = " and ".join(f"p.{c} = t.{c}" for c in key)
    months = {r[0] for r in con.execute(
        f"select distinct {month} from {previous} p semi join touched t on {on} "
        f"where {date} is not null").fetchall()}
    if not added:
        return {m.isoformat() for m in months}
    months |= {r[0] for r in con.execute(
        f"select distinct {month} from added where {date} is not null").fetchall()
        if r[0] is not None}
    if entity == "sales":
        stg = f"previous.{settings.STAGING_SCHEMA}.stg_sales_lake__sales"
        first, earliest = con.execute(
            f"select (select min({month}) from {stg}), min({_typed('order_date')}) "
            "from added").fetchone()
        if first is not None and earliest is not None and earliest < first:
            return N_("new order lines from {day} come before the history's first month "
                      "({month}), which the first-order rule reads",
                      day=earliest.isoformat(), month=f"{first:%Y-%m}")
        con.execute(f"create or replace temp table first_orders as select customer_id, "
                    f"min(order_date) as first_order from {stg} where not is_return "
                    "group by customer_id")
        # a new line before a customer's first order moves the first-order month
        months |= {r[0] for r in con.execute(
            f"""select distinct {_month_sql('f.first_order')}
                from first_orders f
                join (select {_typed('customer_id')} as customer_id,
                             min({_typed('order_date')}) as first_new
                      from added where cast(quantity as double) >= 0 group by 1) n
                  on f.customer_id = n.customer_id
                where n.first_new < f.first_order""").fetchall()}
        # A first order line replaced by a different line (another date, customer, product,
        # amount) may move the first order later, to a month no rule here can name.
        same = " and ".join(f"s.{c} is not distinct from n.{c}" for c in FIRST_ORDER_COLUMNS)
        typed = ", ".join(f"{_typed(c)} as {c}" for c in (*key, *FIRST_ORDER_COLUMNS))
        replaced_first = con.execute(
            f"""select count(*)
                from {stg} s
                join first_orders f
                  on s.customer_id = f.customer_id and s.order_date = f.first_order
                join (select {typed} from added) n
                  on {on.replace('p.', 's.').replace('t.', 'n.')}
                where not s.is_return and not ({same})""").fetchone()[0]
        if replaced_first:
            return N_("{n} customer first order line(s) are replaced by a different line (the "
                      "first-order month of the commission split may move)", n=replaced_first)
    return {m.isoformat() for m in months}


def why_record(plan_: Plan) -> dict:
    """The reason as a build record keeps it, to be shown in any language (``why_text``)."""
    return {"msgid": plan_.why.msgid, "params": plan_.why.params}


def why_text(record: dict, lang: str) -> str:
    """A build record's reason for its mode in ``lang`` (English as recorded without one)."""
    why = record.get("mode_reason_i18n") or {}
    if not why.get("msgid"):
        return record.get("mode_reason") or ""
    params = dict(why.get("params") or {})
    if "entity" in params and lang != DEFAULT_LANG:  # an entity's name in the reader's words
        from models.i18n import label

        params["entity"] = label("entity", params["entity"], lang)
    return Text(why["msgid"], params).in_lang(lang)


def write(plan_: Plan, artifacts: Path) -> None:
    """Keep the plan beside the build's dbt artifacts (the SQL page's copy reads it)."""
    artifacts.mkdir(parents=True, exist_ok=True)
    (artifacts / "plan.json").write_text(json.dumps(
        {"mode": plan_.mode, "reason": plan_.reason, "why": why_record(plan_),
         "changed_months": plan_.changed_months, "previous_build": plan_.previous_build},
        indent=1))


def read(artifacts: Path) -> Plan | None:
    try:
        data = json.loads((artifacts / "plan.json").read_text())
        return Plan(data["mode"], Text(data["why"]["msgid"], data["why"]["params"]),
                    data["changed_months"], data["previous_build"])
    except (OSError, ValueError, TypeError, KeyError):
        return None
