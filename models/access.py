"""Who the user is, what role they have, and which rows they may see.

Identity comes from one of three modes (``SALESDESK_AUTH_MODE``):

- ``oidc``: Streamlit's OpenID Connect sign-in (``st.login`` / ``st.user``). The default when
  ``.streamlit/secrets.toml`` has an ``[auth]`` section.
- ``header``: a trusted header (``SALESDESK_AUTH_HEADER``, default ``X-Forwarded-Email``) set by
  an authenticating reverse proxy in front of the app. Only read in this mode: a header a client
  sends is ignored otherwise.
- ``dev``: no sign-in; one local admin, and every page shows a banner. The default when neither
  of the others is configured, and then only for clients on this machine.

In ``oidc`` and ``header`` mode the e-mail is looked up in the allow-list (``SALESDESK_ALLOWLIST``,
default ``config/allowlist.toml``; TOML or CSV) which gives the role (admin, analyst, manager,
rep), the region of a manager and the rep id of a rep. Anyone not on it is refused: deny by
default, also when the list is missing or broken.

Scopes restrict rows in the query layer, whatever page asks: ``query_scoped`` wraps a query so
that every table it names reads only the rows of the user's scope (a manager: the region's
customers and reps; a rep: the customers they maintain and their own rep rows). A mart that is
not in ``MART_SCOPES`` returns no rows to a manager or a rep.

No streamlit import here: ``app.py`` passes ``st.user`` and the request headers in as plain
values.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import ipaddress
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from models import settings
from models.errors import UserError

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

    def describe(self) -> str:
        if self.role == "manager":
            return f"region {self.region}"
        if self.role == "rep":
            return f"rep {self.rep_id}"
        return "all data"


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
    "fct_customer_growth": MartScope(customer="customer_id"),
    "fct_customer_lifecycle": MartScope(customer="customer_id"),
    "fct_customer_scores": MartScope(customer="customer_id"),
    "fct_customer_alerts": MartScope(customer="customer_id"),
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


def scoped_select(mart: str, scope: Scope, qualifier: str = "main.") -> str | None:
    """SELECT of the rows of ``mart`` the scope may see (named parameters: ``scope_params``).

    ``qualifier`` names where the tables are (``main.`` in the warehouse, ``build.main.`` when
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
        select = scoped_select(table, scope) or f"select * from main.{table} where false"
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


_QUALIFIED_MART = re.compile(r"(\b|\")(main|memory|system|temp)\"?\s*\.", re.I)


def query_scoped(wh, sql: str, scope: Scope, params: dict[str, Any] | None = None,
                 ) -> pl.DataFrame:
    """Run a page's query on the warehouse ``wh`` restricted to ``scope``.

    The query names marts unqualified; named parameters only (``$name``), since the scope's own
    parameters are named. Every page reads through this function.
    """
    if params is not None and not isinstance(params, dict):
        raise TypeError("query_scoped takes named parameters ($name) as a dict")
    if scope.is_restricted and _QUALIFIED_MART.search(sql):
        # A qualified name (main.dim_customers) would get past the scope's CTEs.
        raise ValueError("query_scoped: name marts unqualified (dim_customers, not "
                         "main.dim_customers), so that the scope applies")
    bound = dict(params or {})
    clash = set(bound) & {"scope_region", "scope_rep_id"}
    if clash:
        raise ValueError(f"parameter names reserved for the scope: {sorted(clash)}")
    if scope.is_restricted:
        bound.update(scope_params(scope))
        sql = scoped_sql(sql, scope, _main_tables(wh))
    return wh.query(sql, bound or None)


def _main_tables(wh) -> list[str]:
    return [t for t in wh.tables() if "." not in t]


# --- identity --------------------------------------------------------------------------------

MODES = ("oidc", "header", "dev")
DEFAULT_HEADER = "X-Forwarded-Email"
PROXY_SECRET_HEADER = "X-Salesdesk-Proxy-Secret"
ENV_MODE = "SALESDESK_AUTH_MODE"
ENV_HEADER = "SALESDESK_AUTH_HEADER"
ENV_ALLOWLIST = "SALESDESK_ALLOWLIST"
ENV_PROXY_SECRET = "SALESDESK_AUTH_PROXY_SECRET"
DEFAULT_ALLOWLIST = settings.PROJECT_ROOT / "config" / "allowlist.toml"
SESSION_KEY = "salesdesk_user"  # where app.py keeps the signed-in User in st.session_state

_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")


class NotSignedIn(UserError):
    """OIDC mode and nobody is signed in yet."""


class NotAuthorised(UserError):
    """The user is known (or not) but may not use the app."""


@dataclass(frozen=True)
class AuthConfig:
    mode: str
    explicit: bool          # chosen by SALESDESK_AUTH_MODE rather than by default
    header: str             # header mode: the header holding the e-mail
    allowlist: Path
    proxy_secret: str | None = None  # header mode: the proxy must also send this secret


def auth_config(has_auth_secrets: bool, env: Mapping[str, str] | None = None) -> AuthConfig:
    """The sign-in mode: SALESDESK_AUTH_MODE, else oidc when secrets have [auth], else dev."""
    env = os.environ if env is None else env
    raw = (env.get(ENV_MODE) or "").strip().lower()
    if raw and raw not in MODES:
        raise UserError(f"{ENV_MODE}={raw!r} is not a sign-in mode: use one of "
                        f"{', '.join(MODES)}.")
    mode = raw or ("oidc" if has_auth_secrets else "dev")
    if mode == "oidc" and not has_auth_secrets:
        raise UserError(f"{ENV_MODE}=oidc, but .streamlit/secrets.toml has no [auth] section: "
                        "add one (see .streamlit/secrets.example.toml) or choose another mode.")
    return AuthConfig(
        mode=mode,
        explicit=bool(raw),
        header=(env.get(ENV_HEADER) or DEFAULT_HEADER).strip(),
        allowlist=Path(env.get(ENV_ALLOWLIST) or DEFAULT_ALLOWLIST),
        proxy_secret=env.get(ENV_PROXY_SECRET) or None,
    )


@dataclass(frozen=True)
class User:
    email: str
    role: str
    region: str | None = None
    rep_id: str | None = None
    name: str = ""
    mode: str = ""  # how they signed in: oidc, header or dev

    @property
    def scope(self) -> Scope:
        return Scope(self.role, self.region if self.role == "manager" else None,
                     self.rep_id if self.role == "rep" else None)

    @property
    def can_run_sql(self) -> bool:
        return self.role in SQL_ROLES

    @property
    def label(self) -> str:
        who = self.name or self.email
        where = f", {self.region}" if self.role == "manager" else \
            f", {self.rep_id}" if self.role == "rep" else ""
        return f"{who} ({self.role}{where})"


DEV_USER = User(email="dev@localhost", role="admin", name="Local developer", mode="dev")


def normalise_email(value: Any) -> str | None:
    """Lower-cased, trimmed e-mail, or None when it does not look like one."""
    if not isinstance(value, str):
        return None
    email = value.strip().lower()
    return email if _EMAIL.match(email) else None


# --- the allow-list --------------------------------------------------------------------------

ALLOWLIST_COLUMNS = ("email", "role", "region", "rep_id", "name")


def parse_allowlist(rows: Iterable[Mapping[str, Any]], source: str = "allow-list",
                    ) -> dict[str, User]:
    """Validate allow-list rows (email, role, region, rep_id, name) into users by e-mail."""
    users: dict[str, User] = {}
    problems: list[str] = []
    for number, row in enumerate(rows, start=1):
        values = {k: (str(row[k]).strip() if row.get(k) is not None else "")
                  for k in ALLOWLIST_COLUMNS}
        email = normalise_email(values["email"])
        role = values["role"].lower()
        where = f"entry {number} ({values['email'] or 'no e-mail'})"
        if email is None:
            problems.append(f"{where}: not an e-mail address")
            continue
        if role not in ROLES:
            problems.append(f"{where}: role {values['role']!r} is not one of {', '.join(ROLES)}")
            continue
        if role == "manager" and not values["region"]:
            problems.append(f"{where}: a manager needs a region")
            continue
        if role == "rep" and not values["rep_id"]:
            problems.append(f"{where}: a rep needs a rep_id")
            continue
        if email in users:
            problems.append(f"{where}: listed twice")
            continue
        users[email] = User(email=email, role=role, region=values["region"] or None,
                            rep_id=values["rep_id"] or None, name=values["name"])
    if problems:
        raise UserError(f"{source} has {len(problems)} problem(s); nobody is let in until they "
                        "are fixed: " + "; ".join(problems[:10]))
    return users


def load_allowlist(path: Path) -> dict[str, User]:
    """Read the allow-list: TOML (``[[user]]`` tables) or CSV (a header row of the columns)."""
    path = Path(path)
    if not path.is_file():
        raise NotAuthorised(f"There is no allow-list at {path}, so nobody can be let in. An "
                            f"admin sets {ENV_ALLOWLIST} (see config/allowlist.example.toml).")
    try:
        if path.suffix.lower() == ".csv":
            with open(path, newline="", encoding="utf-8-sig") as f:
                reader = csv.DictReader(f)
                missing = {"email", "role"} - set(reader.fieldnames or [])
                if missing:
                    raise UserError(f"{path.name}: missing column(s) {', '.join(sorted(missing))}")
                rows = list(reader)
        else:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            rows = data.get("user", [])
            if not isinstance(rows, list):
                raise UserError(f"{path.name}: write each person as a [[user]] table")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, csv.Error) as e:
        raise UserError(f"{path.name} could not be read ({e}); nobody is let in until it is "
                        "fixed.") from e
    return parse_allowlist(rows, path.name)


# --- resolving the user ----------------------------------------------------------------------

def header_values(headers: Mapping[str, Any] | None, name: str) -> list[str]:
    """Every value of header ``name`` (case-insensitive); values may be str or lists of str."""
    if not headers:
        return []
    wanted = name.strip().lower()
    values: list[str] = []
    for key, value in headers.items():
        if str(key).strip().lower() != wanted:
            continue
        values.extend(value if isinstance(value, (list, tuple)) else [value])
    return [str(v) for v in values]


def email_from_headers(headers: Mapping[str, Any] | None, header: str = DEFAULT_HEADER,
                       proxy_secret: str | None = None) -> str:
    """The e-mail the auth proxy put in ``header``; refuses missing, repeated or odd values.

    With ``proxy_secret``, the request must also carry it in X-Salesdesk-Proxy-Secret, so that
    a request that reached the app around the proxy is refused.
    """
    if proxy_secret is not None:
        sent = header_values(headers, PROXY_SECRET_HEADER)
        if len(sent) != 1 or not hmac.compare_digest(sent[0].encode(), proxy_secret.encode()):
            raise NotAuthorised("This request did not come through the sign-in proxy.")
    values = header_values(headers, header)
    if not values:
        raise NotAuthorised(f"The sign-in proxy sent no {header} header: sign in through the "
                            "proxy's address, not the app's own port.")
    if len({v.strip().lower() for v in values}) != 1:
        raise NotAuthorised(f"The request carries {header} more than once with different "
                            "values; refused.")
    email = normalise_email(values[0])
    if email is None:
        raise NotAuthorised(f"The {header} header does not hold an e-mail address.")
    return email


def is_local_client(ip: str | None) -> bool:
    """True for loopback addresses, and when there is no client address (AppTest, scripts)."""
    if ip is None or ip == "":
        return True
    try:
        return ipaddress.ip_address(ip.split("%")[0]).is_loopback
    except ValueError:
        return False


def identify(config: AuthConfig, *, user_info: Mapping[str, Any] | None = None,
             headers: Mapping[str, Any] | None = None, client_ip: str | None = None,
             allowlist: Mapping[str, User] | None = None) -> User:
    """The signed-in user, or NotSignedIn / NotAuthorised.

    ``user_info`` is ``st.user.to_dict()``, read in oidc mode only; ``headers`` the request
    headers, read in header mode only (so a client cannot pick its identity in other modes).
    """
    if config.mode == "dev":
        if not config.explicit and not is_local_client(client_ip):
            raise NotAuthorised(
                "Sign-in is not configured, and the local development mode only serves this "
                f"machine. An admin configures sign-in ({ENV_MODE}=oidc or header).")
        return DEV_USER
    if config.mode == "oidc":
        info = user_info or {}
        if not info.get("is_logged_in"):
            raise NotSignedIn("Sign in to use the sales desk.")
        if info.get("email_verified") is False:
            raise NotAuthorised("Your identity provider has not verified your e-mail address.")
        email = normalise_email(info.get("email"))
        if email is None:
            raise NotAuthorised("Your identity provider sent no e-mail address, so you cannot "
                                "be matched to the allow-list.")
        name = str(info.get("name") or "")
    elif config.mode == "header":
        email = email_from_headers(headers, config.header, config.proxy_secret)
        name = ""
    else:  # pragma: no cover - auth_config only makes the three modes
        raise NotAuthorised(f"Unknown sign-in mode {config.mode!r}.")
    users = load_allowlist(config.allowlist) if allowlist is None else allowlist
    user = users.get(email)
    if user is None:
        raise NotAuthorised(f"{email} is not on the sales desk's allow-list. Ask an admin to "
                            "add you with a role.")
    return User(email=user.email, role=user.role, region=user.region, rep_id=user.rep_id,
                name=user.name or name, mode=config.mode)


def session_user(session: Mapping[str, Any]) -> User | None:
    """The user app.py put in the session, or None (pages refuse to render without one)."""
    user = session.get(SESSION_KEY)
    return user if isinstance(user, User) else None
