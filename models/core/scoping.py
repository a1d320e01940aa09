"""Which rows a user may see: the scope of a role, and the query layer that enforces it.

Scopes restrict rows in the query layer, whatever page asks: ``query_scoped`` wraps a query so
that every table it names reads only the rows of the user's scope (a manager: the region's
customers and reps; a rep: the customers they maintain and their own rep rows). A mart that is
not in ``MART_SCOPES`` returns no rows to a manager or a rep.

Who the user is (sign-in modes, the allow-list) is ``models.core.identity``; it gives a signed-in
user a ``Scope`` from this module.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl

from models.core import settings
from models.core.warehouse import Warehouse
from models.i18n import translate

# --- roles and scopes ------------------------------------------------------------------------

ROLES = ("admin", "analyst", "manager", "rep")
UNRESTRICTED_ROLES = frozenset({"admin", "analyst"})  # all data
SQL_ROLES = frozenset({"admin", "analyst"})           # the ad hoc SQL page
DATA_TEAM_ROLES = frozenset({"admin", "analyst"})     # the Data page


@dataclass(frozen=True)
class Scope:
    """The rows a user may see: all (admin, analyst), a region (manager), a rep's own (rep)."""

    role: str
    region: str | None = None
    rep_id: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}")
        if self.role == "manager" and not self.region:
            raise ValueError("a manager's scope needs a region")
        if self.role == "rep" and not self.rep_id:
            raise ValueError("a rep's scope needs a rep id")

    @property
    def is_restricted(self) -> bool:
        return self.role not in UNRESTRICTED_ROLES

    @property
    def key(self) -> str:
        """A file-name-safe key: 'all', 'region-<hash>' or 'rep-<hash>'."""
        if not self.is_restricted:
            return "all"
        value = self.region if self.role == "manager" else self.rep_id
        digest = hashlib.sha256(str(value).encode()).hexdigest()[:16]
        return f"{'region' if self.role == 'manager' else 'rep'}-{digest}"

    def describe(self, lang: str = "en") -> str:
        """What this scope sees, in ``lang``."""
        if self.role == "manager":
            return translate(lang, "region {region}", region=self.region)
        if self.role == "rep":
            return translate(lang, "rep {rep}", rep=self.rep_id)
        return translate(lang, "all data")


ALL_DATA = Scope("admin")


@dataclass(frozen=True)
class MartScope:
    """How the rows of one mart are restricted.

    ``region``/``rep``: the mart's own column holding a region / a rep id (a manager sees rows of
    the region, a rep rows with their rep id). ``customer``: the column holding a customer id;
    the row is visible when that customer is (``dim_customers``: the customer's region, or the
    rep who maintains it). Exactly one of ``customer`` or the pair (``region``, ``rep``).
    """

    region: str | None = None
    rep: str | None = None
    customer: str | None = None


# Every mart a manager or a rep may read, and how it is restricted. A mart not listed here is
# empty for them (deny by default). Commission lines and statements go by the credited rep
# (rep_id) and the rep's region; the team rollup by region and, for a rep, the team they manage.
CUSTOMER_DIRECTORY = "dim_customers"
MART_SCOPES: dict[str, MartScope] = {
    "dim_customers": MartScope(region="region", rep="maintainer_rep_id"),
    "fct_customer_tiers": MartScope(customer="customer_id"),
    "fct_customer_contribution": MartScope(customer="customer_id"),
    # by the customer as it is visible now (its current region and maintainer), like every
    # customer mart: a manager sees the booked history of the region's customers
    "fct_revenue_attribution": MartScope(customer="customer_id"),
    "fct_customer_growth": MartScope(customer="customer_id"),
    "fct_customer_lifecycle": MartScope(customer="customer_id"),
    "fct_customer_scores": MartScope(customer="customer_id"),
    "fct_customer_alerts": MartScope(customer="customer_id"),
    "fct_customer_order_lines": MartScope(customer="customer_id"),
    "fct_visits_due": MartScope(customer="customer_id"),
    "fct_visit_compliance": MartScope(customer="customer_id"),
    "fct_visits": MartScope(customer="customer_id"),
    "rpt_rep_books": MartScope(region="region", rep="rep_id"),
    "dim_reps": MartScope(region="region", rep="rep_id"),
    "fct_rep_visit_compliance": MartScope(region="region", rep="rep_id"),
    # Commissions: by the credited rep and the rep's region (a house account's lines and
    # statement carry the region, so its manager sees them); team rollups by region and, for a
    # rep, only a team they manage.
    "fct_commission_lines": MartScope(region="region", rep="rep_id"),
    "rpt_commission_statements": MartScope(region="region", rep="rep_id"),
    "rpt_commission_team_statements": MartScope(region="region", rep="manager_rep_id"),
}

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def _ident(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain identifier: {name!r}")
    return name


def scope_params(scope: Scope) -> dict[str, Any]:
    """The named parameters the scoped SQL binds ($scope_region, $scope_rep_id)."""
    if scope.role == "manager":
        return {"scope_region": scope.region}
    if scope.role == "rep":
        return {"scope_rep_id": scope.rep_id}
    return {}


def _row_filter(rule: MartScope, scope: Scope, qualifier: str) -> str:
    if rule.customer:
        customers = _row_filter(MART_SCOPES[CUSTOMER_DIRECTORY], scope, qualifier)
        return (f"{_ident(rule.customer)} in (select customer_id from "
                f"{qualifier}{CUSTOMER_DIRECTORY} where {customers})")
    if scope.role == "manager":
        assert rule.region, "a MartScope without customer needs region and rep"
        return f"{_ident(rule.region)} = $scope_region"
    assert rule.rep, "a MartScope without customer needs region and rep"
    return f"{_ident(rule.rep)} = $scope_rep_id"


def scoped_select(mart: str, scope: Scope, qualifier: str = f"{settings.MARTS_SCHEMA}."
                   ) -> str | None:
    """SELECT of the rows of ``mart`` the scope may see (named parameters: ``scope_params``).

    ``qualifier`` names where the tables are (``marts.`` in the warehouse, ``build.marts.`` when
    copying from an attached build). None when the scope may not see the mart at all.
    """
    table = f"{qualifier}{_ident(mart)}"
    if not scope.is_restricted:
        return f"select * from {table}"
    rule = MART_SCOPES.get(mart)
    if rule is None:
        return None
    return f"select * from {table} where {_row_filter(rule, scope, qualifier)}"


def scoped_sql(sql: str, scope: Scope, tables: Iterable[str]) -> str:
    """``sql`` with every table of ``tables`` shadowed by a CTE that holds only the scope's rows.

    The page's query names marts as usual (``from dim_customers``); the CTE of the same name
    wins over the table, also inside the query's own CTEs and subqueries. A table the scope may
    not see is shadowed by an empty one. Unrestricted scopes get ``sql`` unchanged.
    """
    if not scope.is_restricted:
        return sql
    ctes = []
    for table in sorted(set(tables)):
        if not _IDENTIFIER.match(table):
            continue  # schema-qualified names (raw.*) are not marts; external access is off
        select = (scoped_select(table, scope)
                  or f"select * from {settings.MARTS_SCHEMA}.{table} where false")
        ctes.append(f"{table} as not materialized ({select})")
    if not ctes:
        return sql
    body = sql.strip().rstrip(";")
    head = _LEADING_WITH.match(body)
    if head:  # splice into the query's own WITH, so that its ORDER BY stays the outer one
        recursive = "recursive " if head.group(1) else ""
        return f"with {recursive}" + ",\n".join(ctes) + ",\n" + body[head.end():]
    return "with " + ",\n".join(ctes) + "\n" + body


_LEADING_WITH = re.compile(r"^with\s+(recursive\s+)?", re.I)


_QUALIFIED_MART = re.compile(
    r"(\b|\")(main|memory|system|temp|raw|staging|intermediate|marts)\"?\s*\.", re.I)


def query_scoped(wh: Warehouse, sql: str, scope: Scope, params: dict[str, Any] | None = None,
                 ) -> pl.DataFrame:
    """Run a page's query on the warehouse ``wh`` restricted to ``scope``.

    The query names marts unqualified; named parameters only (``$name``), since the scope's own
    parameters are named. Every page reads through this function.
    """
    if params is not None and not isinstance(params, dict):
        raise TypeError("query_scoped takes named parameters ($name) as a dict")
    if scope.is_restricted and _QUALIFIED_MART.search(sql):
        # A qualified name (marts.dim_customers) would get past the scope's CTEs.
        raise ValueError("query_scoped: name marts unqualified (dim_customers, not "
                         "marts.dim_customers), so that the scope applies")
    bound = dict(params or {})
    clash = set(bound) & {"scope_region", "scope_rep_id"}
    if clash:
        raise ValueError(f"parameter names reserved for the scope: {sorted(clash)}")
    if scope.is_restricted:
        bound.update(scope_params(scope))
        sql = scoped_sql(sql, scope, wh.marts())
    return wh.query(sql, bound or None)
