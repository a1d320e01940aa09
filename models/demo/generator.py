"""The generator: ``generate`` writes the demo files month by month and returns a summary.

Demo data: a deterministic, vectorised generator of the raw inputs (SPEC section 2).

``generate(out_dir, scale=1.0, seed=42)`` writes a field sales force of a consumer-goods
distributor in Jinan: customers, reps, products and quotas as CSV, order lines and visits as
Parquet, 36 months ending with the month of ``today``. The data is shaped to exercise the business
rules of SPEC sections 3-9: skewed customer sizes (about 20 % of customers make 80 % of revenue),
a Spring Festival peak, new, growing, declining and churned customers and prospects, returns,
group-purchase accounts opened by one rep and maintained by another, reps who left (their
unreassigned accounts become house accounts served by the region manager), recent hires, reps
who under-visit, far check-ins and complaints.

With ``dirty=True`` it also appends rows that break the row-level rules of the dbt staging (one
rule each, see ``contracts.REJECTION_RULES``) and lists them in ``_expected_rejections.csv``. Bad
rows are only ever appended, so the clean rows are the same as without ``dirty``, and bad master
rows are new keys nothing references or later duplicates of a kept key, so no fault cascades.

Everything is computed with numpy over whole arrays; the only Python loops run over the 36 months,
the regions or the channels. Sales and visits are written month by month, so memory stays flat.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from models.demo.activity import (SALES_SCHEMA, VISITS_SCHEMA, month_sales, month_visits,
                                  sales_model, visit_model)
from models.demo.common import Calendar
from models.demo.constants import MONTHS
from models.demo.dirty import (dirty_customers, dirty_products, dirty_reps, dirty_sales,
                               dirty_visits)
from models.demo.entities import (Customers, Products, Reps, make_customers, make_products,
                                  make_reps)
from models.demo.tables import (_write_csv, customers_table, products_table, quotas_table,
                                reps_table)
from models.core import clock

# --------------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------------


@dataclass
class DemoSummary:
    """What ``generate`` wrote: files, row counts per entity, injected bad rows, time taken."""

    out_dir: Path
    scale: float
    seed: int
    today: datetime.date
    dirty: bool
    files: dict[str, Path] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    bad_rows: dict[str, int] = field(default_factory=dict)  # injected rows per entity (dirty)
    seconds: float = 0.0

    def __str__(self) -> str:
        head = (f"Demo data in {self.out_dir} (scale {self.scale:g}, seed {self.seed}, "
                f"as of {self.today}{', dirty' if self.dirty else ''}):")
        lines = [head]
        for entity, path in self.files.items():
            size_mb = path.stat().st_size / 1e6 if path.exists() else 0.0
            bad = self.bad_rows.get(entity, 0)
            extra = f", {bad} bad" if bad else ""
            lines.append(f"  {entity:<22} {self.rows.get(entity, 0):>12,} rows{extra:<10} "
                         f"{path.name} ({size_mb:.1f} MB)")
        lines.append(f"  generated in {self.seconds:.1f} s")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------------

FILES = {
    "customers": "customers.csv",
    "reps": "reps.csv",
    "products": "products.csv",
    "quotas": "quotas.csv",
    "sales": "sales.parquet",
    "visits": "visits.parquet",
}
EXPECTED_REJECTIONS_FILE = "_expected_rejections.csv"
PARQUET_COMPRESSION = "zstd"
TEMPLATE_ROWS = 200  # valid rows kept to copy into bad rows


@dataclass
class World:
    """Everything drawn before the files are written, with one random stream per concern (so
    that, for example, dirty mode does not change a single clean row)."""

    cal: Calendar
    reps: Reps
    products: Products
    customers: Customers
    scale: float
    rng: dict[str, np.random.Generator]

    @classmethod
    def build(cls, scale: float, seed: int, today: datetime.date) -> World:
        names = ("reps", "products", "customers", "sales", "visits", "quotas", "credit", "dirty")
        rng = dict(zip(names, (np.random.default_rng(s)
                               for s in np.random.SeedSequence(seed).spawn(len(names)))))
        cal = Calendar.ending(today)
        reps = make_reps(rng["reps"], scale, cal)
        return cls(cal=cal, reps=reps, products=make_products(rng["products"]),
                   customers=make_customers(rng["customers"], scale, cal, reps),
                   scale=scale, rng=rng)


@dataclass
class Rejections:
    """The injected bad rows: (entity, source_row, rule)."""

    rows: list[tuple[str, int, str]] = field(default_factory=list)

    def add(self, entity: str, first_source_row: int, rules: list[str]) -> None:
        self.rows += [(entity, first_source_row + i, rule) for i, rule in enumerate(rules)]

    def table(self) -> pa.Table:
        """Sorted by entity (in FILES order) and source row."""
        rows = sorted(self.rows, key=lambda r: (list(FILES).index(r[0]), r[1]))
        return pa.table({"entity": [r[0] for r in rows],
                         "source_row": pa.array([r[1] for r in rows], pa.int64()),
                         "rule": [r[2] for r in rows]})


def write_sales(world: World, path: Path, rejections: Rejections | None
                ) -> tuple[int, np.ndarray, np.ndarray]:
    """Write order lines month by month; returns (rows, revenue per customer-month,
    revenue per rep-month)."""
    cust, reps = world.customers, world.reps
    model = sales_model(cust, world.cal, world.scale)
    cust_revenue = np.zeros((len(cust), MONTHS))
    rep_revenue = np.zeros((len(reps), MONTHS))
    next_order, rows, template = 1, 0, None
    with pq.ParquetWriter(path, SALES_SCHEMA, compression=PARQUET_COMPRESSION) as writer:
        for m in range(MONTHS):
            chunk = month_sales(world.rng["sales"], model, cust, world.products, reps, world.cal,
                                m, next_order)
            revenue = chunk.revenue()
            cust_revenue[:, m] = np.bincount(chunk.cust, revenue, len(cust))
            rep_revenue[:, m] = np.bincount(chunk.rep, revenue, len(reps))
            table = chunk.table(cust, world.products, reps)
            writer.write_table(table)
            if len(chunk):
                next_order = int(chunk.order_no.max()) + 1
                template = table.slice(0, TEMPLATE_ROWS)
            rows += len(chunk)
        if rejections is not None and template is not None:
            bad = dirty_sales(world.rng["dirty"], template, world.cal, next_order)
            writer.write_table(bad.table.cast(SALES_SCHEMA))
            rejections.add("sales", rows + 1, bad.rules)  # Parquet: 1-based row index
            rows += len(bad.rules)
    return rows, cust_revenue, rep_revenue


def write_visits(world: World, path: Path, rejections: Rejections | None) -> int:
    """Write visits month by month; returns the number of rows."""
    cust, reps = world.customers, world.reps
    model = visit_model(world.rng["visits"], cust, reps, world.cal, world.scale)
    next_visit, template = 1, None
    with pq.ParquetWriter(path, VISITS_SCHEMA, compression=PARQUET_COMPRESSION) as writer:
        for m in range(MONTHS):
            chunk = month_visits(world.rng["visits"], model, cust, reps, m, next_visit)
            table = chunk.table(cust, reps)
            writer.write_table(table)
            next_visit += len(chunk)
            keep = np.flatnonzero(~chunk.is_phone & chunk.has_end)[:TEMPLATE_ROWS]
            if len(keep):
                template = table.take(pa.array(keep))
        rows = next_visit - 1
        if rejections is not None and template is not None:
            bad = dirty_visits(world.rng["dirty"], template, next_visit)
            writer.write_table(bad.table.cast(VISITS_SCHEMA))
            rejections.add("visits", rows + 1, bad.rules)
            rows += len(bad.rules)
    return rows


def master_tables(world: World, cust_revenue: np.ndarray, rep_revenue: np.ndarray,
                  rejections: Rejections | None) -> dict[str, pa.Table]:
    """Customers, reps, products and quotas; in dirty mode bad rows follow the good ones."""
    tables = {
        "customers": customers_table(world.customers, world.reps, world.cal, cust_revenue,
                                     world.rng["credit"]),
        "reps": reps_table(world.reps),
        "products": products_table(world.products),
        "quotas": quotas_table(world.rng["quotas"], world.reps, world.cal, rep_revenue),
    }
    if rejections is not None:
        rng = world.rng["dirty"]
        injected = {
            "customers": dirty_customers(rng, tables["customers"], world.cal),
            "reps": dirty_reps(rng, tables["reps"], world.cal),
            "products": dirty_products(rng, tables["products"]),
        }
        for entity, bad in injected.items():
            good = tables[entity]
            rejections.add(entity, good.num_rows + 2, bad.rules)  # CSV: the header is row 1
            tables[entity] = pa.concat_tables([good, bad.table.cast(good.schema)])
    return tables


def generate(out_dir: Path, *, scale: float = 1.0, seed: int = 42, dirty: bool = False,
             today: datetime.date | None = None) -> DemoSummary:
    """Write demo raw inputs into ``out_dir`` and return what was written.

    ``scale`` multiplies customers and reps (products stay ~300); ``seed`` makes the output
    reproducible; ``today`` (default: ``clock.today()``, the real today unless
    ``$SALESDESK_TODAY`` is set) is the last day with orders or visits;
    ``dirty`` appends rows that the staging must reject and writes ``_expected_rejections.csv``.
    """
    if not scale > 0:
        raise ValueError(f"scale must be above 0, not {scale!r}")
    started = time.perf_counter()
    today = today or clock.today()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    world = World.build(scale, seed, today)
    summary = DemoSummary(out_dir=out_dir, scale=scale, seed=seed, today=today, dirty=dirty,
                          files={e: out_dir / f for e, f in FILES.items()})
    rejections = Rejections() if dirty else None

    rows = {}
    rows["sales"], cust_revenue, rep_revenue = write_sales(world, summary.files["sales"],
                                                           rejections)
    rows["visits"] = write_visits(world, summary.files["visits"], rejections)
    for entity, table in master_tables(world, cust_revenue, rep_revenue, rejections).items():
        _write_csv(table, summary.files[entity])
        rows[entity] = table.num_rows
    summary.rows = {e: rows[e] for e in FILES}

    if rejections is not None:
        path = out_dir / EXPECTED_REJECTIONS_FILE
        _write_csv(rejections.table(), path)
        summary.files["expected_rejections"] = path
        summary.rows["expected_rejections"] = len(rejections.rows)
        for entity, _, _ in rejections.rows:
            summary.bad_rows[entity] = summary.bad_rows.get(entity, 0) + 1
    summary.seconds = time.perf_counter() - started
    return summary
