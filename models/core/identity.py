"""Who the user is and what role they have: sign-in modes, the allow-list, request headers.

Identity comes from one of three modes (``SALESDESK_AUTH_MODE``):

- ``oidc``: Streamlit's OpenID Connect sign-in (``st.login`` / ``st.user``). The default when
  ``.streamlit/secrets.toml`` has an ``[auth]`` section. A provider that sends
  ``email_verified`` must send true.
- ``header``: a trusted header (``SALESDESK_AUTH_HEADER``, default ``X-Forwarded-Email``) set by
  an authenticating reverse proxy in front of the app. Only read in this mode: a header a client
  sends is ignored otherwise. Only a proxy may be able to send it: the app refuses to serve
  anyone unless Streamlit listens on loopback only (``server.address`` 127.0.0.1) or a proxy
  secret is set (``SALESDESK_AUTH_PROXY_SECRET``, sent in ``SALESDESK_AUTH_PROXY_SECRET_HEADER``,
  default ``X-Salesdesk-Proxy-Secret``), and without a secret it refuses clients that are not
  on this machine.
- ``dev``: no sign-in; one local admin, and every page shows a banner. The default when neither
  of the others is configured, and then only while Streamlit listens on loopback only, for
  clients on this machine; otherwise the app refuses everyone and says how to configure sign-in.

In ``oidc`` and ``header`` mode the e-mail is looked up in the allow-list (``SALESDESK_ALLOWLIST``,
default ``config/allowlist.toml``; TOML or CSV) which gives the role (admin, analyst, manager,
rep), the region of a manager and the rep id of a rep. Anyone not on it is refused: deny by
default, also when the list is missing or broken.

A signed-in ``User`` carries its ``Scope`` (``models.core.scoping``), the rows the query layer
lets it see.

E-mail addresses are compared exactly after lower-casing ASCII letters only (``normalise_email``):
no Unicode folding, so a look-alike address never becomes someone else's.

No streamlit import here: ``app.py`` passes ``st.user``, the request headers, the client address
and Streamlit's ``server.address`` option in as plain values.
"""

import csv
import hashlib
import hmac
import ipaddress
import os
import re
import string
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.core import settings
from models.core.errors import UserError
from models.core.scoping import ROLES, SQL_ROLES, Scope
from models.i18n.catalogue import LANGUAGES

# --- identity --------------------------------------------------------------------------------

MODES = ("oidc", "header", "dev")
DEFAULT_HEADER = "X-Forwarded-Email"
DEFAULT_SECRET_HEADER = "X-Salesdesk-Proxy-Secret"
ENV_MODE = "SALESDESK_AUTH_MODE"
ENV_HEADER = "SALESDESK_AUTH_HEADER"
ENV_ALLOWLIST = "SALESDESK_ALLOWLIST"
ENV_PROXY_SECRET = "SALESDESK_AUTH_PROXY_SECRET"
ENV_SECRET_HEADER = "SALESDESK_AUTH_PROXY_SECRET_HEADER"
MIN_SECRET_LENGTH = 16
DEFAULT_ALLOWLIST = settings.PROJECT_ROOT / "config" / "allowlist.toml"
SESSION_KEY = "salesdesk_user"  # where app.py keeps the signed-in User in st.session_state

# An e-mail address as sign-in uses it: letters (any script) and digits, with . _ % + - in the
# local part and . - in the domain. Narrower than RFC 5322 on purpose: no character that could
# format a message the address appears in (brackets, colons, quotes, spaces, invisible ones).
_EMAIL_LOCAL = re.compile(r"^[\w.%+-]+$")
_EMAIL_DOMAIN = re.compile(r"^[^\W_]([\w-]*[^\W_])?(\.[^\W_]([\w-]*[^\W_])?)+$")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]+$")


class NotSignedIn(UserError):
    """OIDC mode and nobody is signed in yet."""


class NotAuthorised(UserError):
    """The user is known (or not) but may not use the app."""


class SignInMisconfigured(UserError):
    """The server's sign-in settings are unsafe or incomplete: nobody is let in, from anywhere,
    until an admin fixes them (the message says how)."""


def listens_on_loopback_only(address: str | None) -> bool:
    """True when Streamlit's ``server.address`` keeps the app's port off the network: a loopback
    address (127.0.0.1, ::1), ``localhost`` or a unix socket. Unset (Streamlit's default: every
    interface), 0.0.0.0, ::, a LAN address or any other host name is False."""
    value = (address or "").strip()
    if value.lower().startswith("unix://") or value.lower() == "localhost":
        return True
    try:
        return _is_loopback(ipaddress.ip_address(value.strip("[]")))
    except ValueError:  # unset, or a host name that may resolve to any interface
        return False


def _is_loopback(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


def _where(address: str | None) -> str:
    value = (address or "").strip()
    if value in ("", "0.0.0.0", "::", "[::]"):
        return "every network interface"
    return f"the address {value}, which is not this machine's loopback address"


@dataclass(frozen=True)
class AuthConfig:
    """The sign-in settings, checked when made: an unsafe combination raises
    SignInMisconfigured (see ``check``), so every AuthConfig in use is a safe one."""

    mode: str
    explicit: bool          # chosen by SALESDESK_AUTH_MODE rather than by default
    header: str             # header mode: the header holding the e-mail
    allowlist: Path
    proxy_secret: str | None = None  # header mode: the proxy must also send this secret
    secret_header: str = DEFAULT_SECRET_HEADER  # ... in this header
    server_address: str | None = None  # Streamlit's server.address (None: every interface)

    def __post_init__(self) -> None:
        self.check()

    @property
    def loopback_only(self) -> bool:
        return listens_on_loopback_only(self.server_address)

    def check(self) -> None:
        """Refuse the settings under which a request from the network could pick its identity.

        Header mode trusts a header, so only a proxy may be able to send one: the app listens
        on loopback only (the proxy runs on this machine), or the proxy proves itself with a
        secret. Dev mode makes everyone the admin: chosen by default only while the app listens
        on loopback only (a forwarder on this machine can still expose it; the banner says so).
        """
        if self.mode not in MODES:
            raise SignInMisconfigured(f"Unknown sign-in mode {self.mode!r}: use one of "
                                      f"{', '.join(MODES)}.")
        if self.mode == "header":
            for env, name in ((ENV_HEADER, self.header), (ENV_SECRET_HEADER, self.secret_header)):
                if not _HEADER_NAME.match(name):
                    raise SignInMisconfigured(f"{env}={name!r} is not a header name (letters, "
                                              "digits and hyphens).")
            if self.header.lower() == self.secret_header.lower():
                raise SignInMisconfigured(f"{ENV_HEADER} and {ENV_SECRET_HEADER} name the same "
                                          "header; the e-mail and the secret need one each.")
            if self.proxy_secret is not None and (len(self.proxy_secret) < MIN_SECRET_LENGTH or
                                                  self.proxy_secret != self.proxy_secret.strip()):
                raise SignInMisconfigured(
                    f"{ENV_PROXY_SECRET} is too easy to guess: use a random value of at least "
                    f"{MIN_SECRET_LENGTH} characters without spaces at either end (for example "
                    "the output of `openssl rand -hex 32`).")
            if self.proxy_secret is None and not self.loopback_only:
                raise SignInMisconfigured(
                    f"Sign-in is set to header mode ({ENV_MODE}=header), but the app listens on "
                    f"{_where(self.server_address)} and no proxy secret is set, so anyone who "
                    f"reaches the app's port could send the {self.header} header and be signed "
                    "in as anyone. Either serve the app on this machine only, behind the proxy "
                    "(`make run`, or `streamlit run app.py --server.address 127.0.0.1`), or set "
                    f"{ENV_PROXY_SECRET} to a long random value and have the proxy send it in "
                    f"the {self.secret_header} header.")
        if self.mode == "dev" and not self.explicit and not self.loopback_only:
            raise SignInMisconfigured(
                f"Sign-in is not configured, and the app listens on "
                f"{_where(self.server_address)}: without sign-in every visitor would be the "
                "admin, so nobody is let in. To configure sign-in, an admin sets "
                f"{ENV_MODE}=oidc (with an [auth] section in .streamlit/secrets.toml) or "
                f"{ENV_MODE}=header (behind a sign-in proxy), and the allow-list "
                f"({ENV_ALLOWLIST}). For development on this machine only, serve the app on "
                f"127.0.0.1 (`make run` does); to serve the development mode to other machines "
                f"on purpose, set {ENV_MODE}=dev.")


def auth_config(has_auth_secrets: bool, env: Mapping[str, str] | None = None, *,
                server_address: str | None = None) -> AuthConfig:
    """The sign-in settings: the mode is SALESDESK_AUTH_MODE, else oidc when secrets have
    [auth], else dev. ``server_address`` is Streamlit's server.address option (None or "": every
    interface). Raises UserError (SignInMisconfigured) for settings that are unknown or unsafe."""
    env = os.environ if env is None else env
    raw = (env.get(ENV_MODE) or "").strip().lower()
    if raw and raw not in MODES:
        raise SignInMisconfigured(f"{ENV_MODE}={raw!r} is not a sign-in mode: use one of "
                                  f"{', '.join(MODES)}.")
    mode = raw or ("oidc" if has_auth_secrets else "dev")
    if mode == "oidc" and not has_auth_secrets:
        raise SignInMisconfigured(
            f"{ENV_MODE}=oidc, but .streamlit/secrets.toml has no [auth] section: add one (see "
            ".streamlit/secrets.example.toml) or choose another mode.")
    return AuthConfig(
        mode=mode,
        explicit=bool(raw),
        header=(env.get(ENV_HEADER) or DEFAULT_HEADER).strip(),
        allowlist=Path(env.get(ENV_ALLOWLIST) or DEFAULT_ALLOWLIST),
        proxy_secret=env.get(ENV_PROXY_SECRET) or None,
        secret_header=(env.get(ENV_SECRET_HEADER) or DEFAULT_SECRET_HEADER).strip(),
        server_address=server_address,
    )


@dataclass(frozen=True)
class User:
    email: str
    role: str
    region: str | None = None
    rep_id: str | None = None
    name: str = ""
    mode: str = ""  # how they signed in: oidc, header or dev
    lang: str | None = None  # the language of the allow-list entry (en, zh-CN), else None

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
    """The e-mail address as the allow-list compares it, or None when it is not one.

    Trimmed of spaces and lower-cased in ASCII only (A-Z): no Unicode case folding or
    compatibility normalisation, so a look-alike such as the Kelvin sign in "\\u212aim@..." stays
    itself and never becomes "kim@...". Other letters (any script) are kept as sent and match
    only exactly.
    """
    if not isinstance(value, str):
        return None
    email = value.strip(" \t\r\n").translate(_ASCII_LOWER)
    local, at, domain = email.rpartition("@")
    if not at or not _EMAIL_LOCAL.match(local) or not _EMAIL_DOMAIN.match(domain):
        return None
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return None
    return email

# --- the allow-list --------------------------------------------------------------------------

ALLOWLIST_COLUMNS = ("email", "role", "region", "rep_id", "name", "lang")


def parse_allowlist(rows: Iterable[Mapping[str, Any]], source: str = "allow-list",
                    ) -> dict[str, User]:
    """Validate allow-list rows (email, role, region, rep_id, name, lang) into users by e-mail.

    ``lang`` is optional: the language the person's pages open in (one of LANGUAGES, written
    exactly: ``zh-CN`` or ``en``), before the browser's; empty leaves it to the browser."""
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
        if values["lang"] and values["lang"] not in LANGUAGES:
            problems.append(f"{where}: lang {values['lang']!r} is not one of "
                            f"{', '.join(LANGUAGES)}")
            continue
        if email in users:
            problems.append(f"{where}: listed twice")
            continue
        users[email] = User(email=email, role=role, region=values["region"] or None,
                            rep_id=values["rep_id"] or None, name=values["name"],
                            lang=values["lang"] or None)
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


def secret_matches(sent: str, expected: str) -> bool:
    """Constant-time comparison of a sent secret with the configured one (both hashed first, so
    that not even the length of the secret shows in the time taken)."""
    return hmac.compare_digest(hashlib.sha256(sent.encode()).digest(),
                               hashlib.sha256(expected.encode()).digest())


def email_from_headers(headers: Mapping[str, Any] | None, header: str = DEFAULT_HEADER,
                       proxy_secret: str | None = None,
                       secret_header: str = DEFAULT_SECRET_HEADER) -> str:
    """The e-mail the auth proxy put in ``header``; refuses missing, repeated or odd values.

    With ``proxy_secret``, the request must also carry it, once, in ``secret_header``, so that a
    request that reached the app around the proxy is refused.
    """
    if proxy_secret is not None:
        sent = header_values(headers, secret_header)
        if len(sent) != 1 or not secret_matches(sent[0], proxy_secret):
            raise NotAuthorised("This request did not come through the sign-in proxy (it lacks "
                                "the proxy's secret), so its sign-in header is not trusted. "
                                "Open the sales desk at the proxy's address.")
    values = header_values(headers, header)
    if not values:
        raise NotAuthorised(f"The sign-in proxy sent no {header} header: sign in through the "
                            "proxy's address, not the app's own port.")
    emails = {normalise_email(v) for v in values}
    if None in emails:
        raise NotAuthorised(f"The {header} header does not hold an e-mail address.")
    if len(emails) != 1:
        raise NotAuthorised(f"The request carries {header} more than once with different "
                            "values; refused.")
    return emails.pop()  # type: ignore[return-value]


def is_local_client(ip: str | None) -> bool:
    """True for loopback addresses, and when there is no client address: Streamlit's
    ``st.context.ip_address`` is None for a browser on 127.0.0.1 or ::1 (and under AppTest)."""
    if ip is None or ip == "":
        return True
    try:
        return _is_loopback(ipaddress.ip_address(ip.split("%")[0]))
    except ValueError:
        return False


def _peer(ip: str | None) -> str:
    """The client address for a message: only a well-formed IP address is quoted."""
    try:
        return str(ipaddress.ip_address(str(ip).split("%")[0]))
    except ValueError:
        return "an address"


def email_verified(info: Mapping[str, Any]) -> bool:
    """OIDC: the provider vouches for the e-mail. A provider that sends ``email_verified`` must
    send true (the boolean or the string, as some providers do); one that does not send the
    claim at all (Microsoft Entra ID) is taken at its word."""
    if "email_verified" not in info:
        return True
    flag = info["email_verified"]
    return flag is True or (isinstance(flag, str) and flag.strip().lower() == "true")


def identify(config: AuthConfig, *, user_info: Mapping[str, Any] | None = None,
             headers: Mapping[str, Any] | None = None, client_ip: str | None = None,
             allowlist: Mapping[str, User] | None = None) -> User:
    """The signed-in user, or NotSignedIn / NotAuthorised.

    ``user_info`` is ``st.user.to_dict()``, read in oidc mode only; ``headers`` the request
    headers, read in header mode only (so a client cannot pick its identity in other modes);
    ``client_ip`` is ``st.context.ip_address`` (None for this machine).
    """
    config.check()
    if config.mode == "dev":
        if not config.explicit and not is_local_client(client_ip):
            raise NotAuthorised(
                "Sign-in is not configured, and the local development mode only serves this "
                f"machine (this request came from {_peer(client_ip)}). An admin configures "
                f"sign-in ({ENV_MODE}=oidc or header).")
        return DEV_USER
    if config.mode == "oidc":
        info = user_info or {}
        if not info.get("is_logged_in"):
            raise NotSignedIn("Sign in to use the sales desk.")
        if not email_verified(info):
            raise NotAuthorised("Your identity provider has not verified your e-mail address, "
                                "so it cannot be matched to the allow-list. Verify it with the "
                                "provider, then sign in again.")
        email = normalise_email(info.get("email"))
        if email is None:
            raise NotAuthorised("Your identity provider sent no e-mail address, so you cannot "
                                "be matched to the allow-list.")
        name = str(info.get("name") or "")
    else:  # header
        if config.proxy_secret is None and not is_local_client(client_ip):
            raise NotAuthorised(
                f"This request came from {_peer(client_ip)}, not from this machine, and the "
                "app has no proxy secret, so its sign-in header cannot be trusted. If the "
                "sign-in proxy runs on another machine or passes the browser's address on "
                f"(X-Forwarded-For), an admin sets {ENV_PROXY_SECRET} and has the proxy send "
                f"it in the {config.secret_header} header.")
        email = email_from_headers(headers, config.header, config.proxy_secret,
                                   config.secret_header)
        name = ""
    users = load_allowlist(config.allowlist) if allowlist is None else allowlist
    user = users.get(email)
    if user is None:
        raise NotAuthorised(f"{email} is not on the sales desk's allow-list. Ask an admin to "
                            "add you with a role.")
    return User(email=user.email, role=user.role, region=user.region, rep_id=user.rep_id,
                name=user.name or name, mode=config.mode, lang=user.lang)


def session_user(session: Mapping[str, Any]) -> User | None:
    """The user app.py put in the session, or None (pages refuse to render without one)."""
    user = session.get(SESSION_KEY)
    return user if isinstance(user, User) else None
