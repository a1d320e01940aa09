"""dbt staging on a fixture lake: `dbt build` (models, data tests, unit tests) for real.

Four builds, each shared by the tests that look at it (module-scoped fixtures):

- clean: a small valid lake; every model, data test and unit test passes, nothing is rejected.
- bad: the clean lake plus later loads with one faulty row per rejection rule, and a corrected
  customers file that supersedes the first one.
- empty: a lake with no files at all still builds (empty staged tables).
- partial roster: a rep whose manager is not in the reps file warns (relationships test with
  severity warn) and the build goes on. (A failing test that stops a build: tests/test_build.py.)

All builds but the first share one database path and target folder so dbt can reuse its parse
(a new path is a new profile for dbt, which forces a full parse); each finished database is moved
aside for the assertions.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

from models.pipeline.contracts import ENTITIES, REJECTION_RULES
from tests.lakefiles import write_lake_file

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ROOT / "dbt_project"
DBT = str(Path(sys.executable).parent / "dbt")
AS_OF = "2026-06-30"
STAGED = {name: f"stg_sales_lake__{name}" for name in ENTITIES}


# --------------------------------------------------------------------------- fixture lakes

REPS = [
    dict(rep_id="R1", name="Mia Chen", region="East", role="Manager", hired_date="2019-04-01",
         base_latitude=31.23, base_longitude=121.47),
    dict(rep_id="R2", name="Li Wei", region="East", manager_rep_id="R1", role="rep",
         hired_date="2021-03-01", base_latitude=31.20, base_longitude=121.40,
         workday_start="07:30"),
    dict(rep_id="R3", name="Zhao Min", region="East", manager_rep_id="R1",
         hired_date="2020-06-15", left_date="2026-05-31"),
]
CUSTOMERS = [
    dict(customer_id="C1", name="Corner Shop", channel=" Supermarket", region="East",
         latitude=31.21, longitude=121.45, opened_date="2024-01-10", developer_rep_id="R1",
         maintainer_rep_id="R2", is_key_account=True, visit_window_start="09:00",
         visit_window_end="12:00"),
    dict(customer_id="C2", name="Kiosk 7", channel="kiosk", region="East",
         maintainer_rep_id="R2", credit_limit=5000),
    dict(customer_id="C3", name="Golden Hotel", channel=None, region="East",
         maintainer_rep_id="R3", is_group_purchase=True),
    dict(customer_id="C4", name="Tea House", channel="hotel_restaurant", region="East",
         maintainer_rep_id="R3", developer_rep_id="R2"),
]
PRODUCTS = [
    dict(sku="P1", name="Baijiu 500ml", category="liquor", price_band="high", list_price=120,
         unit_cost=80),
    dict(sku="P2", name="Beer case", category="liquor", price_band="mid", list_price=60,
         unit_cost=45.5),
    dict(sku="P3", name="Dumplings 1kg", category="frozen", price_band=" LOW ",
         unit_cost=9.25),
]
SALES = [
    dict(order_id="O1", line_number=1, order_date="2026-01-05", customer_id="C1", sku="P1",
         quantity=10, unit_price=118, discount_rate=0.05, rep_id="R2"),
    dict(order_id="O1", line_number=2, order_date="2026-01-05", customer_id="C1", sku="P3",
         quantity=30, unit_price=12.5, rep_id="R2"),
    dict(order_id="O2", line_number=1, order_date="2026-02-11", customer_id="C2", sku="P2",
         quantity=4, unit_price=60),
    dict(order_id="O3", line_number=1, order_date="2026-03-02", customer_id="C3", sku="P1",
         quantity=25.5, unit_price=115, discount_rate=0.1, rep_id="R3"),
    dict(order_id="O4", line_number=1, order_date="2026-03-20", customer_id="C1", sku="P1",
         quantity=-2, unit_price=118, discount_rate=0.05, rep_id="R2"),
    dict(order_id="O5", line_number=1, order_date=AS_OF, customer_id="C4", sku="P2",
         quantity=1, unit_price=59.99, rep_id="R3"),
]
VISITS = [
    dict(visit_id="V1", rep_id="R2", customer_id="C1", started_at="2026-01-05 09:10:00",
         ended_at="2026-01-05 09:55:00", visit_type="onsite", purpose="maintain",
         outcome="order", relationship_level=4, checkin_latitude=31.21,
         checkin_longitude=121.45),
    dict(visit_id="V2", rep_id="R2", customer_id="C2", started_at="2026-02-11 14:00:00",
         visit_type="Phone", purpose="promote", outcome="no_order"),
    dict(visit_id="V3", rep_id="R3", customer_id="C3", started_at="2026-03-02 10:00:00",
         ended_at="2026-03-02 10:30:30", visit_type="onsite", outcome="order"),
    dict(visit_id="V4", rep_id="R3", customer_id="C4", started_at="2026-03-03 11:00:00",
         ended_at="2026-03-03 11:20:00", purpose="develop", relationship_level=2),
]
QUOTAS = [
    dict(rep_id="R2", month="2026-01-01", sales_quota=2000),
    dict(rep_id="R3", month="2026-01-01", sales_quota=1500),
]
ASSESSMENTS = [
    dict(customer_id="C4", criterion="Fit", score=1, assessed_date="2026-02-01",
         assessor="Mia Chen"),
]
CLEAN = dict(reps=REPS, customers=CUSTOMERS, products=PRODUCTS, sales=SALES, visits=VISITS,
             quotas=QUOTAS, assessments=ASSESSMENTS)
FIRST_LOAD_AT = "2026-06-01 08:00:00"
LATER_LOAD_AT = "2026-06-15 08:00:00"


def write_clean_lake(lake: Path) -> None:
    for entity, rows in CLEAN.items():
        write_lake_file(lake, entity, rows, load_id=f"{entity}-1", loaded_at=FIRST_LOAD_AT)


# One faulty row per rule, in later loads: (entity, row, expected row_key, expected rule).
BAD_ROWS = [
    ("customers", dict(customer_id="C9", name="  ", maintainer_rep_id="R2"),
     "C9", "missing_required"),
    ("sales", dict(order_id="O96", line_number=1, order_date="2026-03-01", customer_id="C1",
                   sku="P1", unit_price=10), "O96|1", "missing_required"),
    ("products", dict(sku="P4", name="Gin", unit_cost=30), "P4", None),
    ("products", dict(sku="P4", name="Gin (again)", unit_cost=31), "P4", "duplicate_key"),
    ("products", dict(sku="P5", name="Rum", list_price=-2, unit_cost=30), "P5",
     "negative_price"),
    ("sales", dict(order_id="O90", line_number=1, order_date="2026-03-01", customer_id="C1",
                   sku="P1", quantity=1, unit_price=-1), "O90|1", "negative_price"),
    ("quotas", dict(rep_id="R2", month="2026-02-01", sales_quota=-100), "R2|2026-02-01",
     "negative_price"),
    ("sales", dict(order_id="O91", line_number=1, order_date="2026-03-01", customer_id="C1",
                   sku="P1", quantity=1, unit_price=10, discount_rate=1.2), "O91|1",
     "invalid_value"),
    ("visits", dict(visit_id="V91", rep_id="R2", customer_id="C1",
                    started_at="2026-03-01 10:00:00", outcome="sold"), "V91", "invalid_value"),
    ("reps", dict(rep_id="R9", name="Boss", region="East", role="boss"), "R9", "invalid_value"),
    ("sales", dict(order_id="O92", line_number=1, order_date="2026-07-01", customer_id="C1",
                   sku="P1", quantity=1, unit_price=10), "O92|1", "date_in_future"),
    ("reps", dict(rep_id="R8", name="Gone", region="East", hired_date="2025-05-01",
                  left_date="2025-04-30"), "R8", "ended_before_started"),
    ("visits", dict(visit_id="V90", rep_id="R2", customer_id="C1",
                    started_at="2026-03-01 10:00:00", ended_at="2026-03-01 09:00:00"), "V90",
     "ended_before_started"),
    ("customers", dict(customer_id="C8", name="Far away", maintainer_rep_id="R2", latitude=95,
                       longitude=10), "C8", "coordinates_out_of_range"),
    ("visits", dict(visit_id="V93", rep_id="R2", customer_id="C1",
                    started_at="2026-03-01 10:00:00", checkin_latitude=31,
                    checkin_longitude=200), "V93", "coordinates_out_of_range"),
    ("sales", dict(order_id="O93", line_number=1, order_date="2026-03-01", customer_id="C404",
                   sku="P1", quantity=1, unit_price=10), "O93|1", "unknown_customer"),
    ("assessments", dict(customer_id="C404", criterion="fit", score=1,
                         assessed_date="2026-02-01"), "C404|fit|2026-02-01", "unknown_customer"),
    ("sales", dict(order_id="O94", line_number=1, order_date="2026-03-01", customer_id="C1",
                   sku="P404", quantity=1, unit_price=10), "O94|1", "unknown_sku"),
    ("sales", dict(order_id="O95", line_number=1, order_date="2026-03-01", customer_id="C1",
                   sku="P1", quantity=1, unit_price=10, rep_id="R404"), "O95|1", "unknown_rep"),
    ("visits", dict(visit_id="V92", rep_id="R404", customer_id="C1",
                    started_at="2026-03-01 10:00:00"), "V92", "unknown_rep"),
    ("customers", dict(customer_id="C7", name="Orphan", maintainer_rep_id="R404"), "C7",
     "unknown_rep"),
]
# The corrected customers file: C1 renamed; supersedes C1 of the first load.
CORRECTED_C1 = dict(CUSTOMERS[0], name="Corner Shop & Sons")


def write_bad_lake(lake: Path) -> None:
    write_clean_lake(lake)
    later: dict[str, list[dict]] = {}
    for entity, row, _key, _rule in BAD_ROWS:
        later.setdefault(entity, []).append(row)
    later["customers"].insert(0, CORRECTED_C1)
    for entity, rows in later.items():
        write_lake_file(lake, entity, rows, load_id=f"{entity}-2", loaded_at=LATER_LOAD_AT)


# --------------------------------------------------------------------------- running dbt

@dataclass
class Build:
    returncode: int
    output: str
    results: list[dict]
    db_path: Path

    def statuses(self) -> dict[str, str]:
        return {r["unique_id"]: r["status"] for r in self.results}

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.db_path), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def count(self, table: str) -> int:
        return self.query(f"select count(*) from staging.{table}")[0][0]


class DbtRunner:
    """Runs `dbt build` into one fixed database path, then moves the file aside."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.build_dir = work / "build"
        self.build_dir.mkdir(parents=True)

    def build(self, name: str, lake: Path, *args: str) -> Build:
        db_path = self.build_dir / "salesdesk.duckdb"
        env = dict(os.environ, SALESDESK_DB_PATH=str(db_path), SALESDESK_LAKE=str(lake),
                   DBT_SEND_ANONYMOUS_USAGE_STATS="false")
        proc = subprocess.run(
            [DBT, "build", "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
             "--target-path", str(self.work / "target"), "--log-path", str(self.work / "logs"),
             # The staging layer and its tests only (marts are tested elsewhere).
             "--select", "path:models/staging", "--indirect-selection", "cautious", *args],
            env=env, cwd=PROJECT, capture_output=True, text=True, timeout=300,
        )
        results_path = self.work / "target" / "run_results.json"
        results = json.loads(results_path.read_text())["results"] if results_path.exists() else []
        results_path.unlink(missing_ok=True)
        final = self.work / f"{name}.duckdb"
        if db_path.exists():
            shutil.move(db_path, final)
        return Build(proc.returncode, proc.stdout + proc.stderr, results, final)


@pytest.fixture(scope="module")
def runner(tmp_path_factory) -> DbtRunner:
    return DbtRunner(tmp_path_factory.mktemp("dbt"))


@pytest.fixture(scope="module")
def clean(runner, tmp_path_factory) -> Build:
    lake = tmp_path_factory.mktemp("clean") / "lake"
    write_clean_lake(lake)
    return runner.build("clean", lake, "--vars", json.dumps({"as_of_date": AS_OF}))


@pytest.fixture(scope="module")
def bad(runner, clean, tmp_path_factory) -> Build:
    lake = tmp_path_factory.mktemp("bad") / "lake"
    write_bad_lake(lake)
    return runner.build("bad", lake, "--vars", json.dumps({"as_of_date": AS_OF}),
                        "--exclude-resource-type", "unit_test")


@pytest.fixture(scope="module")
def failing(runner, bad, tmp_path_factory) -> Build:
    lake = tmp_path_factory.mktemp("failing") / "lake"
    write_clean_lake(lake)
    # A rep whose manager is not in the reps file: happens when the roster is partial.
    write_lake_file(lake, "reps", [dict(rep_id="R7", name="New Hire", region="East",
                                         manager_rep_id="R99")],
                    load_id="reps-2", loaded_at=LATER_LOAD_AT)
    return runner.build("failing", lake, "--vars", json.dumps({"as_of_date": AS_OF}),
                        "--exclude-resource-type", "unit_test")


@pytest.fixture(scope="module")
def empty(runner, failing, tmp_path_factory) -> Build:
    lake = tmp_path_factory.mktemp("empty") / "lake"
    lake.mkdir()
    return runner.build("empty", lake, "--vars", json.dumps({"as_of_date": AS_OF}),
                        "--exclude-resource-type", "unit_test")


def assert_passed(build: Build) -> None:
    bad_results = {k: v for k, v in build.statuses().items()
                   if v not in ("success", "pass", "no-op")}
    assert build.returncode == 0 and not bad_results, (bad_results, build.output[-3000:])


# --------------------------------------------------------------------------- clean lake

def test_clean_lake_builds_with_every_test_passing(clean):
    assert_passed(clean)
    kinds = {r["unique_id"].split(".")[0] for r in clean.results}
    assert {"model", "test", "unit_test"} <= kinds
    reconcile = [u for u in clean.statuses() if ".sales_lake_rows_reconcile_" in u]
    assert len(reconcile) == len(ENTITIES)


def test_clean_lake_stages_every_row(clean):
    for entity, rows in CLEAN.items():
        assert clean.count(STAGED[entity]) == len(rows), entity
    assert clean.count("stg_sales_lake__rejected_rows") == 0


def test_clean_lake_values(clean):
    revenue = clean.query("select order_id, line_number, revenue, is_return "
                          "from staging.stg_sales_lake__sales order by 1, 2")
    expected = []
    for s in sorted(SALES, key=lambda s: (s["order_id"], s["line_number"])):
        value = (Decimal(str(s["quantity"])) * Decimal(str(s["unit_price"]))
                 * (1 - Decimal(str(s.get("discount_rate") or 0))))
        expected.append((s["order_id"], s["line_number"], value.quantize(Decimal("0.0001")),
                         s["quantity"] < 0))
    assert revenue == expected

    channels = dict(clean.query("select customer_id, channel from staging.stg_sales_lake__customers"))
    assert channels == {"C1": "supermarket", "C2": "other", "C3": "other",
                        "C4": "hotel_restaurant"}
    windows = clean.query(
        "select customer_id, visit_window_start, visit_window_start_min, visit_window_end_min,"
        " is_key_account, is_group_purchase from staging.stg_sales_lake__customers order by 1")
    assert windows[0] == ("C1", "09:00", 540, 720, True, False)
    assert windows[1] == ("C2", "08:30", 510, 1050, False, False)
    assert windows[2][4:] == (False, True)
    reps = clean.query("select rep_id, role, workday_start_min, workday_end_min "
                       "from staging.stg_sales_lake__reps order by 1")
    assert reps == [("R1", "manager", 480, 1080), ("R2", "rep", 450, 1080),
                    ("R3", "rep", 480, 1080)]
    assert dict(clean.query("select sku, price_band from staging.stg_sales_lake__products")) == {
        "P1": "high", "P2": "mid", "P3": "low"}
    visits = clean.query("select visit_id, visit_date, duration_min, visit_type "
                         "from staging.stg_sales_lake__visits order by 1")
    assert [(v[0], str(v[1]), v[2], v[3]) for v in visits] == [
        ("V1", "2026-01-05", 45, "onsite"), ("V2", "2026-02-11", None, "phone"),
        ("V3", "2026-03-02", 30, "onsite"), ("V4", "2026-03-03", 20, None)]
    assert clean.query("select criterion from staging.stg_sales_lake__assessments") == [("fit",)]


def test_raw_relations_have_the_contract_columns(clean):
    for entity, contract in ENTITIES.items():
        rows = clean.query(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw' and table_name = ? order by ordinal_position", [entity])
        expected = [(c.name, c.duckdb_type) for c in contract.columns]
        expected += [("_load_id", "varchar"), ("_source_row", "bigint"),
                     ("_loaded_at", "timestamp")]
        norm = [(n, t.lower().replace(" ", "")) for n, t in rows]
        assert norm == [(n, t.replace(" ", "")) for n, t in expected], entity


# --------------------------------------------------------------------------- faulty rows

def test_bad_rows_build_passes_and_reconciles(bad):
    assert_passed(bad)
    reconcile = {u: s for u, s in bad.statuses().items() if ".sales_lake_rows_reconcile_" in u}
    assert len(reconcile) == len(ENTITIES) and set(reconcile.values()) == {"pass"}
    for entity in ENTITIES:
        lake_rows = bad.query(f"select count(*) from raw.{entity}")[0][0]
        staged = bad.count(STAGED[entity])
        rejected = bad.query("select count(*) from staging.stg_sales_lake__rejected_rows "
                             "where entity = ?", [entity])[0][0]
        assert lake_rows == staged + rejected, entity


def test_each_bad_row_lands_with_its_rule(bad):
    rows = bad.query("select entity, row_key, rule from staging.stg_sales_lake__rejected_rows")
    expected = {(e, key, rule) for e, _row, key, rule in BAD_ROWS if rule}
    expected.add(("customers", "C1", "superseded_by_later_load"))
    assert sorted(rows) == sorted(expected)
    assert {rule for _e, _k, rule in rows} == set(REJECTION_RULES)


def test_rejected_rows_are_readable(bad):
    rows = bad.query(
        "select rule_description, load_id, source_row, loaded_at, raw_values "
        "from staging.stg_sales_lake__rejected_rows where entity = 'sales' and row_key = 'O93|1'")
    assert len(rows) == 1
    description, load_id, source_row, loaded_at, raw_values = rows[0]
    assert description == REJECTION_RULES["unknown_customer"]
    assert load_id == "sales-2"
    position = [r for e, r, _k, _rule in BAD_ROWS if e == "sales"].index(
        next(r for e, r, k, _rule in BAD_ROWS if k == "O93|1"))
    assert source_row == position + 1
    assert str(loaded_at) == LATER_LOAD_AT
    assert raw_values.startswith("order_id=O93; line_number=1; order_date=2026-03-01; "
                                 "customer_id=C404; sku=P1; quantity=1.000; ")
    assert raw_values.endswith("discount_rate=; rep_id=; line_amount=; status=")
    assert bad.query("select raw_values from staging.stg_sales_lake__rejected_rows "
                     "where rule = 'missing_required' and entity = 'customers'") == [
        ("customer_id=C9; name=; channel=; region=; district=; address=; latitude=; "
         "longitude=; opened_date=; developer_rep_id=; maintainer_rep_id=R2; "
         "is_group_purchase=; is_key_account=; credit_limit=; payment_terms_days=; "
         "visit_window_start=; visit_window_end=; contact_name=; phone=; assigned_from=",)]


def test_second_customers_load_supersedes_the_first(bad):
    staged = bad.query("select customer_name, load_id, source_row "
                       "from staging.stg_sales_lake__customers where customer_id = 'C1'")
    assert staged == [("Corner Shop & Sons", "customers-2", 1)]
    superseded = bad.query("select load_id, source_row from staging.stg_sales_lake__rejected_rows "
                           "where entity = 'customers' and row_key = 'C1'")
    assert superseded == [("customers-1", 1)]
    # Rows of the first load that the second does not repeat stay staged.
    assert {r[0] for r in bad.query("select customer_id from staging.stg_sales_lake__customers")} \
        == {"C1", "C2", "C3", "C4"}
    # Sales of C1 still find their customer.
    assert bad.query("select count(*) from staging.stg_sales_lake__sales "
                     "where customer_id = 'C1'")[0][0] == 3


def test_staged_counts_with_bad_rows(bad):
    kept_new = {"products": 1}  # P4, first row of its load
    for entity, rows in CLEAN.items():
        assert bad.count(STAGED[entity]) == len(rows) + kept_new.get(entity, 0), entity


# --------------------------------------------------------------------------- failure, empty

def test_unknown_manager_warns_and_the_build_goes_on(failing):
    assert failing.returncode == 0, failing.output[-3000:]
    statuses = failing.statuses()
    flagged = [u for u, s in statuses.items() if s not in ("success", "pass", "no-op")]
    assert len(flagged) == 1, flagged
    assert flagged[0].startswith("test.salesdesk.relationships_stg_sales_lake__reps_manager_rep_id")
    assert statuses[flagged[0]] == "warn"
    assert failing.count("stg_sales_lake__reps") == len(REPS) + 1
    assert statuses["model.salesdesk.stg_sales_lake__customers"] == "success"


def test_empty_lake_builds_empty_tables(empty):
    assert_passed(empty)
    for entity in ENTITIES:
        assert empty.count(STAGED[entity]) == 0
        assert empty.query(f"select count(*) from raw.{entity}")[0][0] == 0
    assert empty.count("stg_sales_lake__rejected_rows") == 0


# --------------------------------------------------------------------------- contract sync

def _dbt_type(column) -> str:
    if column.type == "decimal":
        return f"decimal({column.precision},{column.scale})"
    return {"text": "string", "integer": "bigint", "double": "double", "date": "date",
            "timestamp": "timestamp", "boolean": "boolean", "time": "string",
            "month": "date"}[column.type]


def test_contract_macro_matches_contracts_py():
    text = (PROJECT / "macros/sales_lake/sales_lake_contract.sql").read_text()
    literal = re.search(r"\{\{ return\((\{.*?\})\) \}\}", text, re.S).group(1)
    contract = ast.literal_eval(literal)
    assert list(contract) == list(ENTITIES)
    for name, entity in ENTITIES.items():
        assert contract[name]["key"] == list(entity.key)
        assert contract[name]["required"] == list(entity.required)
        assert contract[name]["columns"] == {c.name: _dbt_type(c) for c in entity.columns}


def test_sources_yaml_documents_contracts_py():
    sources = yaml.safe_load(
        (PROJECT / "models/staging/sales_lake/_sales_lake__sources.yml").read_text())
    (source,) = sources["sources"]
    assert source["schema"] == "raw"
    tables = {t["name"]: t for t in source["tables"]}
    assert list(tables) == list(ENTITIES)
    for name, entity in ENTITIES.items():
        columns = [(c["name"], c["data_type"]) for c in tables[name]["columns"]]
        assert columns[: len(entity.columns)] == [(c.name, _dbt_type(c)) for c in entity.columns]
        assert [c[0] for c in columns[len(entity.columns):]] == [
            "_load_id", "_source_row", "_loaded_at"]
        assert all(c.get("description") for c in tables[name]["columns"])


def test_rejection_rules_match_contracts_py():
    project = yaml.safe_load((PROJECT / "dbt_project.yml").read_text())
    assert list(project["vars"]["rejection_rules"].items()) == list(REJECTION_RULES.items())
    models = yaml.safe_load(
        (PROJECT / "models/staging/sales_lake/_sales_lake__rejected_rows.yml").read_text())
    (model,) = models["models"]
    rule = next(c for c in model["columns"] if c["name"] == "rule")
    accepted = next(t for t in rule["data_tests"] if isinstance(t, dict))
    assert accepted["accepted_values"]["arguments"]["values"] == list(REJECTION_RULES)
