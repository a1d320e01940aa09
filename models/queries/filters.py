"""The filters every manager page shares (the sidebar): a month, a region, a rep, a channel, a
tier; and the one way pages turn them into SQL and read the marts under the user's scope.

A page never writes SQL. It calls a function of its own module in ``models/`` (``overview``,
``scoring``, ...), which builds its query with ``Filters.customer_sql()`` and runs it with
``read()``: the user's scope (a manager's region, a rep's own customers) is applied by
``scoping.query_scoped`` whatever the filters say.

Filter semantics, the same on every page:

- ``month``: the month the page reports on (its first day). The default is the last complete
  month of the build (the as-of month is partial until its last day).
- ``region``, ``channel``, ``rep_id``: the customer's current region, channel and maintaining
  rep (``dim_customers``).
- ``tier``: the customer's tier in the chosen month (``fct_customer_tiers``).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import polars as pl

from models.core import scoping
from models.core.scoping import Scope
from models.core.warehouse import Warehouse
from models.i18n import label, month_label, translate

TIERS = ("S", "A", "B", "C")


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def last_complete_month(as_of: date) -> date:
    """The first day of the last complete month on ``as_of``."""
    if as_of == month_end(as_of):
        return as_of.replace(day=1)
    first = as_of.replace(day=1)
    return (first.replace(year=first.year - 1, month=12) if first.month == 1
            else first.replace(month=first.month - 1))


@dataclass(frozen=True)
class Filters:
    """What the sidebar selects. None means all."""

    month: date
    region: str | None = None
    rep_id: str | None = None
    channel: str | None = None
    tier: str | None = None

    def __post_init__(self) -> None:
        if self.month.day != 1:
            object.__setattr__(self, "month", self.month.replace(day=1))
        if self.tier is not None and self.tier not in TIERS:
            raise ValueError(f"unknown tier {self.tier!r}")

    def with_(self, **changes: Any) -> Filters:
        return replace(self, **changes)

    @property
    def is_filtered(self) -> bool:
        """True when anything beyond the month narrows the customers."""
        return any(v is not None for v in (self.region, self.rep_id, self.channel, self.tier))

    def params(self) -> dict[str, Any]:
        """The named parameters ``customer_sql`` binds (always all of them, some None)."""
        return {"f_month": self.month, "f_region": self.region, "f_rep_id": self.rep_id,
                "f_channel": self.channel, "f_tier": self.tier}

    def customer_sql(self, assignment: bool = True) -> str:
        """A SELECT of the ids of the customers the filters keep (binds ``params()``).

        Use as ``where customer_id in ({filters.customer_sql()})``. ``assignment=False`` leaves
        out the region and the rep (the customer's current ones): for a query that applies them
        to the assignment at the time of the order itself (``attribution.assignment_sql``).
        """
        conditions = ["($f_channel is null or channel = $f_channel)"]
        if assignment:
            conditions = ["($f_region is null or region = $f_region)", *conditions,
                          "($f_rep_id is null or maintainer_rep_id = $f_rep_id)"]
        if self.tier is not None:
            conditions.append("customer_id in (select customer_id from fct_customer_tiers "
                              "where month_start = $f_month and tier = $f_tier)")
        return "select customer_id from dim_customers where " + " and ".join(conditions)

    def describe(self, lang: str = "en") -> str:
        """A short human label in ``lang``: 'Nov 2026 · North · tier S' / '2026年11月 · North · S级'."""
        parts = [month_label(self.month, lang)]
        if self.region:
            parts.append(self.region)
        if self.channel:
            parts.append(label("channel", self.channel, lang))
        if self.rep_id:
            parts.append(translate(lang, "rep {rep}", rep=self.rep_id))
        if self.tier:
            parts.append(translate(lang, "tier {tier}", tier=self.tier))
        return " · ".join(parts)


def read(wh: Warehouse, sql: str, scope: Scope, params: dict[str, Any] | None = None,
         ) -> pl.DataFrame:
    """Run a page query on the warehouse under the user's scope (named parameters only)."""
    return scoping.query_scoped(wh, sql, scope, params)


def read_filtered(wh: Warehouse, sql: str, scope: Scope, filters: Filters,
                  params: dict[str, Any] | None = None) -> pl.DataFrame:
    """``read`` with the filters' parameters bound too (``sql`` uses ``filters.customer_sql()``
    or ``$f_month`` and friends). Parameters ``sql`` does not use are dropped."""
    bound = {k: v for k, v in filters.params().items() if f"${k}" in sql}
    bound.update(params or {})
    return read(wh, sql, scope, bound)


@dataclass(frozen=True)
class FilterOptions:
    """The values the sidebar offers, within the user's scope."""

    as_of_date: date | None
    months: list[date]  # newest first
    regions: list[str]
    channels: list[str]
    reps: pl.DataFrame  # rep_id, rep_name, region

    @property
    def default_month(self) -> date | None:
        if self.as_of_date is None:
            return self.months[0] if self.months else None
        month = last_complete_month(self.as_of_date)
        if self.months and month < self.months[-1]:
            return self.months[0]
        return month

    def default_filters(self) -> Filters | None:
        month = self.default_month
        return Filters(month=month) if month else None


def filter_options(wh: Warehouse, scope: Scope) -> FilterOptions:
    """The months with data and the regions, channels and reps the user may filter on."""
    as_of = read(wh, "select max(as_of_date) as as_of from dim_customers", scope)["as_of"][0]
    months = read(wh, "select distinct month_start from fct_customer_tiers "
                      "order by month_start desc", scope)["month_start"].to_list()
    customers = read(wh, "select distinct region, channel from dim_customers", scope)
    regions = sorted(v for v in customers["region"].unique().to_list() if v)
    channels = sorted(v for v in customers["channel"].unique().to_list() if v)
    reps = read(wh, "select rep_id, rep_name, region from rpt_rep_books "
                    "where customers > 0 order by region, rep_name, rep_id", scope)
    return FilterOptions(as_of_date=as_of, months=months, regions=regions, channels=channels,
                         reps=reps)
