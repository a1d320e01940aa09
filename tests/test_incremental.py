"""Incremental builds (models/pipeline/incremental.py): a build after a new day of orders
recomputes only the months that changed, and gives the same warehouse, table by table and row by
row, as a full build of the same lake."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from models.core import settings
from models.core.scoping import ALL_DATA
from models.demo.generator import generate
from models.engines import adhoc
from models.pipeline import build, incremental
from models.pipeline.build_compare import compare_builds
from models.pipeline.ingest import ingest_paths
from tests.conftest import SCALE
from tests.pinned import TODAY

YESTERDAY = TODAY - dt.timedelta(days=1)
LATE_RETURN_DATE = dt.date(2026, 9, 14)  # booked into September, loaded in November
NEW_CUSTOMER = "C-OPENED-TODAY"


def _month(day: dt.date) -> str:
    return day.replace(day=1).isoformat()


@pytest.fixture(scope="module")
def lake_files(tmp_path_factory) -> dict[str, Path]:
    """The demo split in two: everything up to yesterday, then today's orders and visits with a
    late return of a September order line."""
    root = tmp_path_factory.mktemp("incremental")
    demo = root / "demo"
    generate(demo, scale=SCALE, seed=7, today=TODAY)
    first, day = root / "first", root / "day"
    first.mkdir()
    day.mkdir()
    for name in ("products.csv", "quotas.csv", "reps.csv"):
        shutil.copyfile(demo / name, first / name)
    # a customer opened today, on file already: rejected as in the future as of yesterday
    customers = pl.read_csv(demo / "customers.csv", infer_schema=False)
    opened_today = customers.head(1).with_columns(pl.lit(NEW_CUSTOMER).alias("customer_id"),
                                                   pl.lit(TODAY.isoformat()).alias("opened_date"))
    pl.concat([customers, opened_today]).write_csv(first / "customers.csv")
    sales = pl.read_parquet(demo / "sales.parquet")
    visits = pl.read_parquet(demo / "visits.parquet")
    assert sales.filter(pl.col("order_date") == TODAY).height > 0
    sales.filter(pl.col("order_date") < TODAY).write_parquet(first / "sales.parquet")
    returned = sales.filter((pl.col("order_date") == dt.date(2026, 9, 3))
                            & (pl.col("quantity") > 0)).head(1)
    assert returned.height == 1
    late_return = returned.with_columns(
        pl.lit("RET-LATE-1").alias("order_id"), pl.lit(1).cast(returned["line_number"].dtype)
        .alias("line_number"), pl.lit(LATE_RETURN_DATE).alias("order_date"),
        (-pl.col("quantity")).alias("quantity"))
    first_order = sales.filter(pl.col("order_date") == TODAY).head(2).with_columns(
        pl.lit(NEW_CUSTOMER).alias("customer_id"), pl.lit("NEW-1").alias("order_id"))
    pl.concat([sales.filter(pl.col("order_date") == TODAY), late_return, first_order]
              ).write_parquet(day / "sales_day.parquet")
    started = pl.col("started_at").cast(pl.Date)
    visits.filter(started < TODAY).write_parquet(first / "visits.parquet")
    visits.filter(started == TODAY).write_parquet(day / "visits_day.parquet")
    return {"first": first, "day": day}


@pytest.fixture(scope="module")
def incremental_home(lake_files, tmp_path_factory) -> tuple[Path, build.BuildResult]:
    """A build as of yesterday, then today's files loaded and built incrementally."""
    home = tmp_path_factory.mktemp("home")
    ingest_paths([lake_files["first"]], base=home)
    first = build.run_build(home, dbt_vars={"as_of_date": YESTERDAY.isoformat()})
    assert first.ok, first.failures
    assert first.mode == "full"
    assert "no current warehouse" in first.mode_reason
    ingest_paths([lake_files["day"]], base=home)
    lines: list[str] = []
    result = build.run_build(home, dbt_vars={"as_of_date": TODAY.isoformat()},
                             on_line=lines.append)
    assert result.ok, result.failures
    return home, result, lines


def _full_build_of(home: Path, target: Path, dbt_vars: dict) -> build.BuildResult:
    shutil.copytree(settings.lake_dir(home), settings.lake_dir(target))
    result = build.run_build(target, dbt_vars=dbt_vars)
    assert result.ok, result.failures
    assert result.mode == "full"
    return result


def test_a_new_day_recomputes_its_month_and_the_late_returns_month(incremental_home):
    _home, result, lines = incremental_home
    assert result.mode == "incremental", result.mode_reason
    assert result.changed_months == [_month(LATE_RETURN_DATE), _month(TODAY)]
    assert any(line.startswith("Incremental build from ") and "2 month(s) to recompute "
               "(2026-09, 2026-11)" in line for line in lines)
    assert "incremental (2 month(s) recomputed)" in result.text("en")


def test_the_incremental_build_equals_a_full_build_row_for_row(incremental_home, tmp_path):
    home, result, _lines = incremental_home
    full = _full_build_of(home, tmp_path / "full", {"as_of_date": TODAY.isoformat()})
    tables, diffs = compare_builds(Path(result.warehouse_file), Path(full.warehouse_file))
    assert tables > 30
    assert [str(d) for d in diffs] == []
    con = duckdb.connect(result.warehouse_file, read_only=True)
    try:
        late = con.execute("select count(*), sum(commission_amount) from marts.fct_commission_lines "
                           "where order_id = 'RET-LATE-1'").fetchone()
    finally:
        con.close()
    assert late[0] >= 1 and late[1] < 0  # the return claws back in September
    con = duckdb.connect(result.warehouse_file, read_only=True)
    try:
        first = con.execute("select count(*), bool_and(is_first_order_month) from "
                            "marts.fct_commission_lines where customer_id = ?",
                            [NEW_CUSTOMER]).fetchone()
    finally:
        con.close()
    assert first == (2, True)  # the new customer's first order, credited
    # the SQL page's copy of the marts: the previous build's, with the changed months replaced
    copied = adhoc.prepare_extract(result.build_id, Path(result.warehouse_file), ALL_DATA, home)
    written = adhoc.prepare_extract(full.build_id, Path(full.warehouse_file), ALL_DATA,
                                    tmp_path / "full")
    assert incremental.read(copied.parent.parent).incremental
    tables, diffs = compare_builds(copied, written)
    assert tables > 10
    assert [str(d) for d in diffs] == []


def test_a_changed_var_builds_in_full_and_still_matches(incremental_home, tmp_path):
    home, _result, _lines = incremental_home
    changed = {"as_of_date": TODAY.isoformat(), "tier_window_months": 4}
    again = build.run_build(home, dbt_vars=changed)
    assert again.ok, again.failures
    assert again.mode == "full"
    assert again.mode_reason == f"var(s) tier_window_months changed since {_previous(home)}"
    full = _full_build_of(home, tmp_path / "full", changed)
    _tables, diffs = compare_builds(Path(again.warehouse_file), Path(full.warehouse_file))
    assert [str(d) for d in diffs] == []
    # nothing changed since: the next build is incremental with no month to recompute
    same = build.run_build(home, dbt_vars=changed)
    assert same.ok and same.mode == "incremental" and same.changed_months == []
    _tables, diffs = compare_builds(Path(same.warehouse_file), Path(full.warehouse_file))
    assert [str(d) for d in diffs] == []


def _previous(home: Path) -> str:
    good = [r for r in build.history(home) if build.is_good(r)]
    return good[-2]["build_id"]


def test_what_triggers_a_full_build(incremental_home, lake_files, tmp_path):
    home, _result, _lines = incremental_home
    record = [r for r in build.history(home) if build.is_good(r)][-1]
    current = Path(record["warehouse_file"])
    as_of = {"as_of_date": record["as_of_date"],
             **{k: v for k, v in record["fingerprint"]["vars"].items()}}
    plan, _ = incremental.plan(home, as_of, record, current)
    assert plan.incremental and plan.changed_months == []
    assert incremental.plan(home, as_of, record, current, full=True)[0].reason == \
        "asked for (--full)"
    back = {**as_of, "as_of_date": "2026-10-01"}
    assert incremental.plan(home, back, record, current)[0].reason.startswith(
        "the as-of date moved back")
    # a master file loaded again: any month may change
    other = tmp_path / "customers_again.csv"
    text = (lake_files["first"] / "customers.csv").read_text(encoding="utf-8")
    lines = text.splitlines()  # the same customers in another order: another load
    other.write_text("\n".join([lines[0], *lines[2:], lines[1]]) + "\n", encoding="utf-8")
    ingest_paths([other], base=home)
    plan, _ = incremental.plan(home, as_of, record, current)
    assert plan.mode == "full"
    assert plan.reason.startswith("the customers files changed since ")
