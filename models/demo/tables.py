"""The demo's master tables as written: customers, reps, products and quotas.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from models.demo.common import Calendar, _dates, _decimal_array, _strings
from models.demo.constants import (CATEGORIES, CHANNELS, CREDIT_LIMIT_MONTHS, FALLBACK_QUOTA,
                                   MIN_CREDIT_LIMIT, NEVER, QUOTA_ROUNDING, QUOTA_STRETCH, REGIONS)
from models.demo.entities import Customers, Products, Reps
from models.pipeline import contracts

# --------------------------------------------------------------------------------------------
# Master tables (CSV)
# --------------------------------------------------------------------------------------------


def customers_table(cust: Customers, reps: Reps, cal: Calendar, monthly_revenue: np.ndarray,
                    rng: np.random.Generator) -> pa.Table:
    """The customer master; credit limits from each customer's typical monthly revenue."""
    months_active = np.maximum((monthly_revenue > 0).sum(axis=1), 1)
    typical = monthly_revenue.sum(axis=1) / months_active
    credit = np.maximum(typical * rng.uniform(*CREDIT_LIMIT_MONTHS, len(cust)), MIN_CREDIT_LIMIT)
    credit = np.round(credit, -3)
    has_developer = cust.developer >= 0
    return pa.Table.from_arrays([
        pa.array(cust.customer_id), pa.array(cust.name),
        _strings(CHANNELS, cust.channel),
        _strings([r.name for r in REGIONS], cust.region),
        pa.array(cust.district), pa.array(cust.address),
        pa.array(cust.lat), pa.array(cust.lon),
        pa.array(_dates(cust.opened), pa.date32(), mask=cust.is_prospect),
        _strings(reps.rep_id, np.maximum(cust.developer, 0), has_developer),
        _strings(reps.rep_id, cust.maintainer),
        pa.array(cust.is_group), pa.array(cust.is_key),
        _decimal_array(credit, 18, 2),
        pa.array(cust.payment_terms, pa.int64()),
        pa.array(cust.window_start), pa.array(cust.window_end),
        *_contacts(len(cust)),
        # the demo's customers file is loaded once: no assigned_from column (optional)
    ], names=[c for c in contracts.ENTITIES["customers"].column_names if c != "assigned_from"])


CONTACT_SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙")
CONTACT_TITLES = ("老板", "经理", "店长", "总")
NO_PHONE_EVERY = 9  # every ninth customer has no contact on file (the columns are optional)


def _contacts(n: int) -> tuple[pa.Array, pa.Array]:
    """Contact name and mobile number per customer: a function of the index only (no random
    draw, so adding them changed no other column of the demo)."""
    i = np.arange(n)
    missing = i % NO_PHONE_EVERY == NO_PHONE_EVERY - 1
    names = [f"{CONTACT_SURNAMES[k % len(CONTACT_SURNAMES)]}{CONTACT_TITLES[(k // 12) % 4]}"
             for k in range(n)]
    phones = [f"13{(k * 7919) % 10}{(k * 104729 + 5550123) % 100_000_000:08d}" for k in range(n)]
    return (pa.array(names, pa.string(), mask=missing),
            pa.array(phones, pa.string(), mask=missing))


def reps_table(reps: Reps) -> pa.Table:
    has_manager = reps.manager >= 0
    return pa.Table.from_arrays([
        pa.array(reps.rep_id), pa.array(reps.name),
        _strings([r.name for r in REGIONS], reps.region),
        _strings(reps.rep_id, np.maximum(reps.manager, 0), has_manager),
        _strings(contracts.REP_ROLES, reps.is_manager.astype(np.int64)),
        pa.array(_dates(reps.hired), pa.date32()),
        pa.array(_dates(np.where(reps.left < NEVER, reps.left, 0)), pa.date32(),
                 mask=reps.left == NEVER),
        pa.array(reps.base_lat), pa.array(reps.base_lon),
        pa.array(reps.workday_start), pa.array(reps.workday_end),
    ], names=list(contracts.ENTITIES["reps"].column_names))


def products_table(products: Products) -> pa.Table:
    return pa.Table.from_arrays([
        pa.array(products.sku), pa.array(products.name),
        _strings([c.name for c in CATEGORIES], products.category),
        _strings(contracts.PRICE_BANDS, products.band),
        _decimal_array(products.list_price, 18, 2),
        _decimal_array(products.unit_cost, 18, 2),
    ], names=list(contracts.ENTITIES["products"].column_names))


def quotas_table(rng: np.random.Generator, reps: Reps, cal: Calendar,
                 rep_revenue: np.ndarray) -> pa.Table:
    """One row per field rep and month employed: the rep's typical (deseasonalised) monthly
    revenue over finished months, times the month's season and a stretch."""
    employed = ((reps.hired[:, None] <= cal.month_end[None, :])
                & (reps.left[:, None] >= cal.month_start[None, :]) & ~reps.is_manager[:, None])
    season = cal.season / cal.season.mean()
    finished = employed.copy()
    finished[:, -1] = False  # the current month is not over
    weight = (season[None, :] * finished).sum(axis=1)
    typical = np.divide((rep_revenue * finished).sum(axis=1), weight,
                        out=np.zeros(len(reps)), where=weight > 0)
    known = typical > 0
    typical[~known] = np.median(typical[known]) if known.any() else FALLBACK_QUOTA
    quota = typical[:, None] * season[None, :] * rng.uniform(*QUOTA_STRETCH, employed.shape)
    quota = np.round(quota / QUOTA_ROUNDING) * QUOTA_ROUNDING
    r, m = np.nonzero(employed)
    return pa.Table.from_arrays([
        _strings(reps.rep_id, r),
        pa.array(_dates(cal.month_start[m]), pa.date32()),
        _decimal_array(quota[r, m], 18, 2),
    ], names=list(contracts.ENTITIES["quotas"].column_names))


def _write_csv(table: pa.Table, path: Path) -> None:
    pl.from_arrow(table).write_csv(path)
