"""Sign-in modes, the allow-list, and row scopes in the query layer (models/core/identity.py)."""

from __future__ import annotations

import contextlib
import ipaddress
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from models.core import identity, scoping, settings
from models.core.errors import UserError
from models.core.identity import (
    AuthConfig,
    NotAuthorised,
    NotSignedIn,
    SignInMisconfigured,
    User,
)
from models.core.scoping import Scope
from models.core.warehouse import Warehouse
from models.engines import adhoc
from tests.test_adhoc import make_small_warehouse

ROOT = Path(__file__).resolve().parent.parent

ALLOWLIST = {
    "ana@example.com": User("ana@example.com", "analyst"),
    "mona@example.com": User("mona@example.com", "manager", region="North"),
    "rick@example.com": User("rick@example.com", "rep", rep_id="R1"),
}


def config(mode: str, **kw) -> AuthConfig:
    return AuthConfig(mode=mode, explicit=kw.pop("explicit", True),
                      header=kw.pop("header", identity.DEFAULT_HEADER),
                      allowlist=kw.pop("allowlist", Path("/nonexistent/allowlist.toml")),
                      server_address=kw.pop("server_address", "127.0.0.1"), **kw)


SECRET = "4f1c0e6a9b2d7e3f5a8c1b0d9e7f6a5b"  # a test value, long enough for auth_config
KIM = {"kim@corp.example": User("kim@corp.example", "admin", name="Kim")}


# --- choosing the mode -----------------------------------------------------------------------

def test_the_mode_defaults_to_oidc_with_auth_secrets_and_to_dev_without():
    assert identity.auth_config(True, env={}, server_address="127.0.0.1").mode == "oidc"
    dev = identity.auth_config(False, env={}, server_address="127.0.0.1")
    assert (dev.mode, dev.explicit) == ("dev", False)
    header = identity.auth_config(False, env={"SALESDESK_AUTH_MODE": "Header",
                                            "SALESDESK_AUTH_HEADER": "X-Auth-Request-Email",
                                            "SALESDESK_ALLOWLIST": "/etc/salesdesk/users.csv"},
                                server_address="127.0.0.1")
    assert (header.mode, header.explicit, header.header, header.allowlist) == \
        ("header", True, "X-Auth-Request-Email", Path("/etc/salesdesk/users.csv"))


def test_a_bad_mode_is_refused():
    with pytest.raises(SignInMisconfigured, match="not a sign-in mode"):
        identity.auth_config(False, env={"SALESDESK_AUTH_MODE": "none"})
    with pytest.raises(SignInMisconfigured, match=r"no \[auth\] section"):
        identity.auth_config(False, env={"SALESDESK_AUTH_MODE": "oidc"})


@pytest.mark.parametrize("address, loopback_only", [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True),
    ("localhost", True), (" LocalHost ", True), ("::ffff:127.0.0.1", True),
    ("unix:///run/salesdesk.sock", True),
    (None, False), ("", False), ("0.0.0.0", False), ("::", False), ("10.231.0.1", False),
    ("192.168.1.20", False), ("::ffff:10.0.0.1", False), ("salesdesk.corp.example", False),
    ("localhost.corp.example", False),
])
def test_which_server_addresses_are_this_machine_only(address, loopback_only):
    assert identity.listens_on_loopback_only(address) is loopback_only


# --- dev mode --------------------------------------------------------------------------------

def test_dev_mode_is_a_single_admin_on_this_machine_only():
    implicit = config("dev", explicit=False)
    for ip in (None, "127.0.0.1", "::1"):
        assert identity.identify(implicit, client_ip=ip) == identity.DEV_USER
    assert identity.DEV_USER.role == "admin" and identity.DEV_USER.mode == "dev"
    with pytest.raises(NotAuthorised, match=r"only serves this machine \(this request came "
                                            r"from 10\.1\.2\.3\)"):
        identity.identify(implicit, client_ip="10.1.2.3")
    # chosen on purpose (SALESDESK_AUTH_MODE=dev): served to anyone, with the banner
    assert identity.identify(config("dev"), client_ip="10.1.2.3") == identity.DEV_USER


@pytest.mark.parametrize("address", [None, "", "0.0.0.0", "::", "10.231.0.1",
                                     "salesdesk.corp.example"])
def test_the_silent_dev_default_is_refused_unless_the_app_listens_on_loopback_only(address):
    # A same-host forwarder makes every peer look like 127.0.0.1, so the peer check alone
    # would make every network client the admin: the default needs a loopback bind.
    with pytest.raises(SignInMisconfigured, match="Sign-in is not configured, and the app "
                                                  "listens on .*SALESDESK_AUTH_MODE=oidc"):
        identity.auth_config(False, env={}, server_address=address)
    with pytest.raises(SignInMisconfigured, match="nobody is let in"):
        config("dev", explicit=False, server_address=address)  # also when built by hand
    chosen = identity.auth_config(False, env={"SALESDESK_AUTH_MODE": "dev"},
                                server_address=address)
    assert identity.identify(chosen, client_ip="10.231.0.2") == identity.DEV_USER


# --- oidc mode -------------------------------------------------------------------------------

def test_oidc_needs_a_signed_in_user_on_the_allow_list():
    oidc = config("oidc")
    with pytest.raises(NotSignedIn):
        identity.identify(oidc, user_info={}, allowlist=ALLOWLIST)
    with pytest.raises(NotSignedIn):
        identity.identify(oidc, user_info={"is_logged_in": False, "email": "ana@example.com"},
                        allowlist=ALLOWLIST)
    with pytest.raises(NotAuthorised, match="not on the sales desk's allow-list"):
        identity.identify(oidc, user_info={"is_logged_in": True, "email": "eve@example.com"},
                        allowlist=ALLOWLIST)
    with pytest.raises(NotAuthorised, match="no e-mail"):
        identity.identify(oidc, user_info={"is_logged_in": True}, allowlist=ALLOWLIST)
    user = identity.identify(oidc, user_info={"is_logged_in": True, "email": " Mona@Example.com",
                                            "name": "Mona"}, allowlist=ALLOWLIST)
    assert (user.email, user.role, user.region, user.name, user.mode) == \
        ("mona@example.com", "manager", "North", "Mona", "oidc")
    assert user.scope == Scope("manager", region="North") and not user.can_run_sql


@pytest.mark.parametrize("flag", [False, "false", "False", None, 0, "", "no"])
def test_oidc_refuses_an_email_the_provider_says_is_not_verified(flag):
    with pytest.raises(NotAuthorised, match="not verified"):
        identity.identify(config("oidc"), user_info={"is_logged_in": True, "email_verified": flag,
                                                   "email": "ana@example.com"},
                        allowlist=ALLOWLIST)


@pytest.mark.parametrize("claims", [{"email_verified": True}, {"email_verified": "true"}, {}])
def test_oidc_accepts_a_verified_email_or_a_provider_without_the_claim(claims):
    user = identity.identify(config("oidc"), user_info={"is_logged_in": True,
                                                      "email": "ana@example.com", **claims},
                           allowlist=ALLOWLIST)
    assert user.role == "analyst"


def test_without_an_allow_list_nobody_is_let_in(tmp_path):
    with pytest.raises(NotAuthorised, match="no allow-list"):
        identity.identify(config("oidc", allowlist=tmp_path / "missing.toml"),
                        user_info={"is_logged_in": True, "email": "ana@example.com"})


# --- e-mail addresses ------------------------------------------------------------------------

def test_emails_are_lower_cased_in_ascii_only():
    assert identity.normalise_email("  Kim@Corp.Example\t") == "kim@corp.example"
    assert "\u212a".lower() == "k"  # what str.lower() would have done with the Kelvin sign
    assert identity.normalise_email("\u212aim@corp.example") == "\u212aim@corp.example"
    assert identity.normalise_email("\uff2bim@corp.example") == "\uff2bim@corp.example"  # Ｋ
    assert identity.normalise_email("\u0130pek@corp.example") == "\u0130pek@corp.example"  # İ
    assert identity.normalise_email("王芳@公司.example") == "王芳@公司.example"


@pytest.mark.parametrize("value", [
    "kim\u200b@corp.example",            # zero-width space
    "kim\u202e@corp.example",            # right-to-left override
    "kim@corp.example\u00a0",            # no-break space
    "kim\uff20corp.example",             # fullwidth at sign
    "[kim](https://evil.example)@corp.example", "kim:x@corp.example", "k<b>@corp.example",
    "kim@corp", "kim@.example", "kim@corp..example", ".kim@corp.example", "kim..x@corp.example",
    "kim@@corp.example", "", None, 42,
])
def test_odd_emails_are_not_emails(value):
    assert identity.normalise_email(value) is None


@pytest.mark.parametrize("sent", ["\u212aim@corp.example", "\uff4bim@corp.example",
                                  "\u212aIM@CORP.EXAMPLE"])
def test_a_look_alike_email_never_gets_someone_elses_role(sent):
    with pytest.raises(NotAuthorised, match="is not on the sales desk's allow-list"):
        identity.identify(config("oidc"), user_info={"is_logged_in": True, "email": sent},
                        allowlist=KIM)
    with pytest.raises(NotAuthorised, match="is not on the sales desk's allow-list"):
        identity.identify(config("header"), headers={"X-Forwarded-Email": sent}, allowlist=KIM)
    # the real address, in any ASCII case, is Kim
    assert identity.identify(config("header"), headers={"X-Forwarded-Email": "KIM@corp.example"},
                           allowlist=KIM).role == "admin"


def test_the_allow_list_keeps_look_alike_addresses_apart():
    users = identity.parse_allowlist([{"email": "kim@corp.example", "role": "admin"},
                                    {"email": "\u212aim@corp.example", "role": "rep",
                                     "rep_id": "R9"}])
    assert users["kim@corp.example"].role == "admin"
    assert users["\u212aim@corp.example"].role == "rep"


# --- header mode -----------------------------------------------------------------------------

def test_the_trusted_header_gives_the_email():
    assert identity.email_from_headers({"X-Forwarded-Email": "Ana@Example.com"}) == \
        "ana@example.com"
    assert identity.email_from_headers({"x-forwarded-email": ["ana@example.com"]}) == \
        "ana@example.com"
    assert identity.email_from_headers({"X-Auth-Request-Email": "ana@example.com"},
                                     header="x-auth-request-email") == "ana@example.com"
    # the same value twice (a proxy that appends) is fine
    assert identity.email_from_headers({"X-Forwarded-Email": ["a@b.co", "A@B.co"]}) == "a@b.co"


@pytest.mark.parametrize("headers, message", [
    ({}, "sent no X-Forwarded-Email"),
    ({"Host": "salesdesk"}, "sent no X-Forwarded-Email"),
    ({"X-Forwarded-Email": ["ana@example.com", "boss@example.com"]}, "more than once"),
    ({"X-Forwarded-Email": ["ana@example.com", "\u212ana@example.com"]}, "more than once"),
    ({"X-Forwarded-Email": "not an email"}, "does not hold an e-mail"),
    ({"X-Forwarded-Email": "ana@example.com, boss@example.com"}, "does not hold an e-mail"),
])
def test_a_missing_repeated_or_odd_header_is_refused(headers, message):
    with pytest.raises(NotAuthorised, match=message):
        identity.email_from_headers(headers)


def test_the_proxy_secret_is_required_when_configured():
    headers = {"X-Forwarded-Email": "ana@example.com"}
    with pytest.raises(NotAuthorised, match="did not come through the sign-in proxy"):
        identity.email_from_headers(headers, proxy_secret="s3cret")
    for wrong in ("guess", "s3cre", "s3cret ", ["s3cret", "s3cret"]):
        with pytest.raises(NotAuthorised, match="did not come through the sign-in proxy"):
            identity.email_from_headers({**headers, "X-Salesdesk-Proxy-Secret": wrong},
                                      proxy_secret="s3cret")
    assert identity.email_from_headers({**headers, "x-salesdesk-proxy-secret": "s3cret"},
                                     proxy_secret="s3cret") == "ana@example.com"
    assert identity.secret_matches("s3cret", "s3cret") and not identity.secret_matches("s", "s3cret")


@pytest.mark.parametrize("address", [None, "", "0.0.0.0", "::", "10.231.0.1"])
def test_header_mode_refuses_to_serve_the_network_without_a_proxy_secret(address):
    env = {"SALESDESK_AUTH_MODE": "header"}
    with pytest.raises(SignInMisconfigured, match="no proxy secret is set, so anyone who "
                                                  "reaches the app's port could send the "
                                                  "X-Forwarded-Email header"):
        identity.auth_config(False, env=env, server_address=address)
    with pytest.raises(SignInMisconfigured, match="no proxy secret"):
        config("header", server_address=address)  # also when built by hand
    served = identity.auth_config(False, env={**env, "SALESDESK_AUTH_PROXY_SECRET": SECRET},
                                server_address=address)
    assert (served.mode, served.proxy_secret) == ("header", SECRET)
    assert identity.auth_config(False, env=env, server_address="127.0.0.1").mode == "header"


def test_header_mode_reached_directly_from_the_network_is_refused():
    forged = {"X-Forwarded-Email": "kim@corp.example"}
    # loopback only, no secret: a client that is not on this machine is refused
    with pytest.raises(NotAuthorised, match=r"came from 10\.231\.0\.2, not from this machine, "
                                            r"and the app has no proxy secret"):
        identity.identify(config("header"), headers=forged, client_ip="10.231.0.2",
                        allowlist=KIM)
    assert identity.identify(config("header"), headers=forged, client_ip=None,
                           allowlist=KIM).role == "admin"
    # with a secret: whoever does not send it is refused, from anywhere
    guarded = config("header", proxy_secret=SECRET, server_address="0.0.0.0")
    for ip in ("10.231.0.2", None):
        with pytest.raises(NotAuthorised, match="did not come through the sign-in proxy"):
            identity.identify(guarded, headers=forged, client_ip=ip, allowlist=KIM)
    proxied = {**forged, "X-Salesdesk-Proxy-Secret": SECRET}
    assert identity.identify(guarded, headers=proxied, client_ip="10.231.0.2",
                           allowlist=KIM).role == "admin"


def test_the_secret_header_is_configurable():
    env = {"SALESDESK_AUTH_MODE": "header", "SALESDESK_AUTH_PROXY_SECRET": SECRET,
           "SALESDESK_AUTH_PROXY_SECRET_HEADER": "X-Proxy-Token"}
    chosen = identity.auth_config(False, env=env, server_address="0.0.0.0")
    forged = {"X-Forwarded-Email": "kim@corp.example"}
    with pytest.raises(NotAuthorised, match="did not come through the sign-in proxy"):
        identity.identify(chosen, headers={**forged, "X-Salesdesk-Proxy-Secret": SECRET},
                        allowlist=KIM)
    assert identity.identify(chosen, headers={**forged, "x-proxy-token": SECRET},
                           allowlist=KIM).email == "kim@corp.example"


@pytest.mark.parametrize("env, message", [
    ({"SALESDESK_AUTH_PROXY_SECRET": "hunter2"}, "too easy to guess"),
    ({"SALESDESK_AUTH_PROXY_SECRET": f" {SECRET}"}, "too easy to guess"),
    ({"SALESDESK_AUTH_PROXY_SECRET_HEADER": "X-Forwarded-Email"}, "name the same header"),
    ({"SALESDESK_AUTH_PROXY_SECRET_HEADER": "X Secret"}, "is not a header name"),
    ({"SALESDESK_AUTH_HEADER": "X-Email:"}, "is not a header name"),
])
def test_a_weak_secret_or_a_bad_header_name_is_refused(env, message):
    with pytest.raises(SignInMisconfigured, match=message):
        identity.auth_config(False, env={"SALESDESK_AUTH_MODE": "header", **env},
                           server_address="127.0.0.1")


def test_header_mode_maps_the_email_through_the_allow_list():
    user = identity.identify(config("header"), headers={"X-Forwarded-Email": "rick@example.com"},
                           allowlist=ALLOWLIST)
    assert (user.role, user.rep_id, user.mode) == ("rep", "R1", "header")
    assert user.scope == Scope("rep", rep_id="R1")
    with pytest.raises(NotAuthorised, match="allow-list"):
        identity.identify(config("header"), headers={"X-Forwarded-Email": "eve@example.com"},
                        allowlist=ALLOWLIST)


def test_a_client_sent_header_is_ignored_unless_header_mode_is_configured():
    forged = {"X-Forwarded-Email": "ana@example.com", "x-salesdesk-proxy-secret": "x"}
    # oidc: the header does not sign anyone in
    with pytest.raises(NotSignedIn):
        identity.identify(config("oidc"), user_info={}, headers=forged, allowlist=ALLOWLIST)
    user = identity.identify(config("oidc"),
                           user_info={"is_logged_in": True, "email": "mona@example.com"},
                           headers=forged, allowlist=ALLOWLIST)
    assert user.email == "mona@example.com"
    # dev: the header does not change who you are
    assert identity.identify(config("dev", explicit=False), headers=forged) == identity.DEV_USER
    # and the default configuration (no env, no [auth]) is dev, never header
    assert identity.auth_config(False, env={}, server_address="127.0.0.1").mode == "dev"


# --- the allow-list file ---------------------------------------------------------------------

def test_the_example_allow_list_parses():
    users = identity.load_allowlist(ROOT / "config" / "allowlist.example.toml")
    assert {u.role for u in users.values()} == set(scoping.ROLES)


def test_a_csv_allow_list(tmp_path):
    path = tmp_path / "users.csv"
    path.write_text("email,role,region,rep_id,name\n"
                    "Ana@Example.com,Analyst,,,Ana\n"
                    "mona@example.com,manager,华北,,\n", encoding="utf-8-sig")
    users = identity.load_allowlist(path)
    assert users["ana@example.com"].role == "analyst"
    assert users["mona@example.com"].region == "华北"


@pytest.mark.parametrize("body, message", [
    ('[[user]]\nemail = "x@example.com"\nrole = "boss"\n', "is not one of"),
    ('[[user]]\nemail = "x@example.com"\nrole = "manager"\n', "needs a region"),
    ('[[user]]\nemail = "x@example.com"\nrole = "rep"\n', "needs a rep_id"),
    ('[[user]]\nemail = "nobody"\nrole = "admin"\n', "not an e-mail"),
    ('[[user]]\nemail = "x@example.com"\nrole = "admin"\n'
     '[[user]]\nemail = "X@example.com"\nrole = "rep"\nrep_id = "R1"\n', "listed twice"),
    ("[[user]\nbroken", "could not be read"),
])
def test_a_broken_allow_list_lets_nobody_in(tmp_path, body, message):
    path = tmp_path / "allowlist.toml"
    path.write_text(body)
    with pytest.raises(UserError, match=message):
        identity.load_allowlist(path)
    with pytest.raises(UserError):
        identity.identify(config("header", allowlist=path),
                        headers={"X-Forwarded-Email": "x@example.com"})


# --- scopes in the query layer ---------------------------------------------------------------

NORTH = Scope("manager", region="North")
REP_R3 = Scope("rep", rep_id="R3")


@pytest.fixture()
def small_wh(tmp_path) -> Warehouse:
    make_small_warehouse(tmp_path)
    return Warehouse(tmp_path)


def ids(frame, column="customer_id") -> list[str]:
    return sorted(frame[column].to_list())


def test_a_manager_sees_only_the_regions_customers_and_reps(small_wh):
    q = scoping.query_scoped
    assert ids(q(small_wh, "select * from dim_customers", NORTH)) == ["C1", "C2", "C3"]
    tiers = q(small_wh, "select * from fct_customer_tiers", NORTH)
    assert set(tiers["customer_id"]) == {"C1", "C2", "C3"} and tiers.height == 6
    assert ids(q(small_wh, "select * from rpt_rep_books", NORTH), "rep_id") == ["R1", "R2"]
    # a mart without a scope rule is empty for them; staging is not even in reach (the
    # warehouse reads the schema marts only)
    assert q(small_wh, "select * from rpt_rejected_rows", NORTH).is_empty()
    with pytest.raises(duckdb.CatalogException, match="stg_sales_lake__customers"):
        q(small_wh, "select * from stg_sales_lake__customers", NORTH)


def test_a_rep_sees_only_their_own_customers_and_rep_row(small_wh):
    q = scoping.query_scoped
    assert ids(q(small_wh, "select * from dim_customers", REP_R3)) == ["C4", "C5"]
    assert set(q(small_wh, "select * from fct_customer_tiers", REP_R3)["customer_id"]) == \
        {"C4", "C5"}
    assert ids(q(small_wh, "select * from rpt_rep_books", REP_R3), "rep_id") == ["R3"]


def test_the_scope_holds_in_joins_ctes_subqueries_and_keeps_the_order(small_wh):
    sql = """
        with big as (select * from dim_customers where revenue_12m >= $min_revenue)
        select big.customer_id, books.rep_name
        from big
        join rpt_rep_books as books on books.rep_id = big.maintainer_rep_id
        where big.customer_id in (select customer_id from fct_customer_tiers)
        order by big.revenue_12m desc
    """
    north = scoping.query_scoped(small_wh, sql, NORTH, {"min_revenue": 60})
    assert north["customer_id"].to_list() == ["C2", "C1"]
    everyone = scoping.query_scoped(small_wh, sql, scoping.ALL_DATA, {"min_revenue": 60})
    assert everyone["customer_id"].to_list() == ["C5", "C2", "C1", "C4"]


def test_analysts_and_admins_see_everything(small_wh):
    for role in ("admin", "analyst"):
        frame = scoping.query_scoped(small_wh, "select * from dim_customers", Scope(role))
        assert frame.height == 6
    assert scoping.query_scoped(small_wh, "select * from rpt_rejected_rows",
                               Scope("analyst")).height == 1


def test_a_qualified_name_cannot_get_past_the_scope(small_wh):
    for sql in ("select * from main.dim_customers", 'select * from "main".dim_customers',
                "select * from memory.main.x", "select * from marts.dim_customers",
                "select * from staging.stg_sales_lake__customers"):
        with pytest.raises(ValueError, match="unqualified"):
            scoping.query_scoped(small_wh, sql, NORTH)
    with pytest.raises(ValueError, match="reserved"):
        scoping.query_scoped(small_wh, "select $scope_region", NORTH, {"scope_region": "South"})
    with pytest.raises(TypeError):
        scoping.query_scoped(small_wh, "select ?", NORTH, ["x"])  # type: ignore[arg-type]


def test_every_scope_rule_names_real_columns_of_the_demo_build(built_home):
    wh = Warehouse(built_home)
    tables = set(wh.marts())
    missing = sorted(set(scoping.MART_SCOPES) - tables)
    assert not missing, f"MART_SCOPES names marts the build lacks: {missing}"
    for mart in scoping.MART_SCOPES:
        for scope in (Scope("manager", region="城北片区"), Scope("rep", rep_id="R0008")):
            scoping.query_scoped(wh, f"select * from {mart} limit 1", scope)  # binds


def test_scopes_on_the_demo_build(built_home):
    wh = Warehouse(built_home)
    everyone = wh.query("select customer_id, region, maintainer_rep_id from dim_customers")
    regions = set(everyone["region"])
    assert len(regions) > 1
    for region in regions:
        scope = Scope("manager", region=region)
        seen = scoping.query_scoped(wh, "select customer_id from dim_customers", scope)
        expected = everyone.filter(everyone["region"] == region)
        assert ids(seen) == ids(expected)
        tiers = scoping.query_scoped(wh, "select distinct customer_id from fct_customer_tiers",
                                    scope)
        assert set(tiers["customer_id"]) <= set(expected["customer_id"])
        books = scoping.query_scoped(wh, "select distinct region from rpt_rep_books", scope)
        assert books["region"].to_list() == [region]
    rep = everyone["maintainer_rep_id"][0]
    own = scoping.query_scoped(wh, "select customer_id from dim_customers",
                              Scope("rep", rep_id=rep))
    assert ids(own) == ids(everyone.filter(everyone["maintainer_rep_id"] == rep))


# --- a manager's SQL runs on a region extract, never on the full warehouse -------------------

def test_run_query_for_a_manager_reads_a_region_extract(tmp_path):
    make_small_warehouse(tmp_path)
    result = adhoc.run_query("select region, count(*) as n from dim_customers group by all",
                             scope=NORTH, base=tmp_path)
    assert result.frame.rows() == [("North", 3)] and result.scope == "region North"
    tiers = adhoc.run_query("select distinct customer_id from fct_customer_tiers order by 1",
                            scope=NORTH, base=tmp_path)
    assert tiers.frame["customer_id"].to_list() == ["C1", "C2", "C3"]
    with pytest.raises(UserError, match="does not exist"):
        adhoc.run_query("select * from rpt_rejected_rows", scope=NORTH, base=tmp_path)
    extract = adhoc.extract_file(NORTH, tmp_path)
    assert extract.name.startswith("region-") and "North" not in extract.name
    assert extract.parent == settings.warehouse_dir(tmp_path) / \
        f"{Warehouse(tmp_path).build_id}.dbt" / "adhoc"
    rep = adhoc.run_query("select customer_id from dim_customers order by 1", scope=REP_R3,
                          base=tmp_path)
    assert rep.frame["customer_id"].to_list() == ["C4", "C5"]


# --- the refusals in the app (AppTest) -------------------------------------------------------

@pytest.fixture()
def listen_on():
    """Set Streamlit's server.address for AppTest's in-process run of app.py (restored after)."""
    from streamlit import config as st_config

    before = st_config.get_option("server.address")
    yield lambda address: st_config.set_option("server.address", address)
    st_config.set_option("server.address", before)


def run_app(monkeypatch, home: Path, env: dict[str, str]):
    from streamlit.testing.v1 import AppTest

    from tests.apptest_util import APP

    monkeypatch.setenv("SALESDESK_HOME", str(home))
    for key in [k for k in os.environ if k.startswith("SALESDESK_AUTH")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def signed_in(at) -> list[str]:
    return [c.value for c in at.sidebar.caption if c.value.startswith("Signed in as")]


@pytest.mark.parametrize("env, message", [
    ({}, "Sign-in is not configured, and the app listens on every network interface: without "
         "sign-in every visitor would be the admin, so nobody is let in."),
    ({"SALESDESK_AUTH_MODE": "header"},
     "Sign-in is set to header mode (SALESDESK_AUTH_MODE=header), but the app listens on every "
     "network interface and no proxy secret is set"),
])
def test_the_app_refuses_everyone_under_unsafe_settings(monkeypatch, tmp_path, listen_on, env,
                                                        message):
    listen_on("0.0.0.0")
    at = run_app(monkeypatch, tmp_path, env)
    assert [t.value for t in at.title] == ["Sign-in is not set up"]
    assert len(at.error) == 1 and at.error[0].value.startswith(message)
    assert not signed_in(at) and not at.warning


def test_the_dev_banner_says_which_dev_mode(monkeypatch, tmp_path, listen_on):
    listen_on("127.0.0.1")
    at = run_app(monkeypatch, tmp_path, {})
    assert signed_in(at) == ["Signed in as Local developer (admin)  \nSees all data"]
    assert [w.value.split(":")[0] for w in at.warning] == ["**Local development mode**"]
    assert "listens on this machine only" in at.warning[0].value
    listen_on("0.0.0.0")
    at = run_app(monkeypatch, tmp_path, {"SALESDESK_AUTH_MODE": "dev"})
    assert signed_in(at) == ["Signed in as Local developer (admin)  \nSees all data"]
    assert at.warning[0].value.startswith("**Development mode** (SALESDESK_AUTH_MODE=dev): "
                                          "sign-in is off and everyone who reaches this app, "
                                          "from any machine, is the admin.")


# --- end to end: requests from another host --------------------------------------------------
# A test host of our own: a network namespace joined to this one by a veth pair (root only; CI
# runs as root). The app listens on 0.0.0.0 and a headless chromium inside the namespace opens
# it at this machine's end of the pair, so the app sees a peer that is not loopback.

@dataclass(frozen=True)
class OtherHost:
    namespace: str
    app_ip: str   # this machine's end of the pair: where the other host reaches the app
    peer_ip: str  # the other host's address, as the app sees it


_hosts = itertools.count()


def _ip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)


def _free_subnet(pid: int) -> ipaddress.IPv4Network:
    """A /30 of 10.231.0.0/16 that no interface of this machine uses, starting at one chosen by
    the process id (so that parallel runs pick different ones)."""
    used = [ipaddress.ip_network(m, strict=False) for m in
            re.findall(r"inet (\d+\.\d+\.\d+\.\d+/\d+)", _ip("-4", "-o", "addr", "show").stdout)]
    subnets = list(ipaddress.ip_network("10.231.0.0/16").subnets(new_prefix=30))
    for i in range(len(subnets)):
        net = subnets[(pid + i) % len(subnets)]
        if not any(net.overlaps(u) for u in used):
            return net
    pytest.fail("no free /30 in 10.231.0.0/16 for a test host")


@pytest.fixture(scope="module")
def other_host() -> Iterator[OtherHost]:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.fail("This test needs root and iproute2 (`ip`) to make a test host in a network "
                    "namespace (CI runs as root). Run it as root, or leave the browser tests "
                    "out: -m 'not browser'.")
    pid, n = os.getpid(), next(_hosts)
    namespace, veth, peer = f"salesdesk-test-{pid}-{n}", f"sdt{pid}{n}a", f"sdt{pid}{n}b"
    net = _free_subnet(pid)
    app_ip, peer_ip = (str(a) for a in net.hosts())
    steps = [("netns", "add", namespace),
             ("link", "add", veth, "type", "veth", "peer", "name", peer),
             ("link", "set", peer, "netns", namespace),
             ("addr", "add", f"{app_ip}/30", "dev", veth),
             ("link", "set", veth, "up"),
             ("netns", "exec", namespace, "ip", "addr", "add", f"{peer_ip}/30", "dev", peer),
             ("netns", "exec", namespace, "ip", "link", "set", peer, "up"),
             ("netns", "exec", namespace, "ip", "link", "set", "lo", "up")]
    try:
        for step in steps:
            done = _ip(*step)
            if done.returncode != 0:
                pytest.fail(f"could not make the test host: ip {' '.join(step)}: "
                            f"{done.stderr.strip()}")
        yield OtherHost(namespace, app_ip, peer_ip)
    finally:
        _ip("netns", "del", namespace)  # takes the namespace's end of the pair with it
        _ip("link", "del", veth)        # and so the other end; gone already, normally
        assert namespace not in _ip("netns", "list").stdout


# Runs inside the namespace: opens the app with the given request headers and reports what it
# shows once the first run is over.
CLIENT = r"""
import json, sys
from tests.browser_util import RUN_FINISHED, chromium
url, headers = sys.argv[1], json.loads(sys.argv[2])
with chromium() as browser:
    page = browser.new_context(extra_http_headers=headers).new_page()
    page.goto(url)
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=90_000)
    page.wait_for_function(RUN_FINISHED, timeout=90_000)
    print(json.dumps({
        "title": page.locator('[data-testid="stMain"] h1').first.inner_text(),
        "errors": page.locator('[data-testid="stAlert"]').all_inner_texts(),
        "sidebar": page.locator('[data-testid="stSidebar"]').all_inner_texts(),
        "body": page.inner_text("body"),
    }))
"""


def visit_from(host: OtherHost, url: str, headers: dict[str, str]) -> dict:
    """What the other host's browser sees at ``url`` (which must name host.app_ip)."""
    done = subprocess.run(["ip", "netns", "exec", host.namespace, sys.executable, "-c", CLIENT,
                           url, json.dumps(headers)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert "Traceback" not in seen["body"]
    return seen


def app_url(local_url: str, host: OtherHost) -> str:
    return local_url.replace("127.0.0.1", host.app_ip)


@pytest.fixture()
def kim_list(tmp_path) -> Path:
    path = tmp_path / "allowlist.toml"
    path.write_text('[[user]]\nemail = "kim@corp.example"\nrole = "admin"\nname = "Kim"\n')
    return path


@contextlib.contextmanager
def tcp_forwarder(listen_ip: str, target_port: int) -> Iterator[int]:
    """A TCP forwarder on this machine (what socat or an SSH tunnel does): connections to
    ``listen_ip``:<port> are relayed to 127.0.0.1:``target_port``, so the app sees them come
    from 127.0.0.1. Yields the port."""
    listener = socket.create_server((listen_ip, 0))
    listener.settimeout(0.5)
    stop = threading.Event()
    sockets: list[socket.socket] = [listener]

    def pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)

    def accept() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", target_port))
            sockets.extend((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=pump, args=(a, b), daemon=True).start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        acceptor.join(timeout=5)
        for s in sockets:
            s.close()


@pytest.mark.browser
def test_from_another_host_the_default_dev_mode_is_refused(other_host, tmp_path):
    from tests.browser_util import serve_app

    with serve_app(tmp_path, address="0.0.0.0") as url:
        direct = visit_from(other_host, app_url(url, other_host), {})
        # through a forwarder on this machine the request comes from 127.0.0.1: still refused
        with tcp_forwarder(other_host.app_ip, int(url.rsplit(":", 1)[1])) as port:
            forwarded = visit_from(other_host, f"http://{other_host.app_ip}:{port}", {})
    for seen in (direct, forwarded):
        assert seen["title"] == "Sign-in is not set up"
        assert seen["errors"][0].startswith("Sign-in is not configured, and the app listens on "
                                            "every network interface")
        assert "Signed in as" not in seen["body"]
        assert "Local development mode" not in seen["body"]


@pytest.mark.browser
def test_from_another_host_a_forged_sign_in_header_is_refused(other_host, tmp_path, kim_list):
    from tests.browser_util import serve_app

    forged = {"X-Forwarded-Email": "kim@corp.example"}
    header_mode = {"SALESDESK_AUTH_MODE": "header", "SALESDESK_ALLOWLIST": str(kim_list)}
    # no proxy secret: the app refuses to serve at all on 0.0.0.0
    with serve_app(tmp_path, header_mode, address="0.0.0.0") as url:
        seen = visit_from(other_host, app_url(url, other_host), forged)
    assert seen["title"] == "Sign-in is not set up"
    assert "no proxy secret is set, so anyone who reaches the app's port could send the " \
        "X-Forwarded-Email header" in seen["errors"][0]
    assert "Signed in as" not in seen["body"]
    # with a secret: a request without it is refused; the proxy's, with it, signs Kim in
    with serve_app(tmp_path, {**header_mode, "SALESDESK_AUTH_PROXY_SECRET": SECRET},
                   address="0.0.0.0") as url:
        seen = visit_from(other_host, app_url(url, other_host), forged)
        assert seen["title"] == "Not authorised"
        assert seen["errors"][0].startswith("This request did not come through the sign-in "
                                            "proxy")
        assert "Signed in as" not in seen["body"]
        proxied = visit_from(other_host, app_url(url, other_host),
                             {**forged, "X-Salesdesk-Proxy-Secret": SECRET})
    assert "Signed in as Kim (admin)" in "\n".join(proxied["sidebar"])


@pytest.mark.browser
def test_header_mode_without_a_secret_refuses_a_browser_a_local_proxy_says_is_elsewhere(
        tmp_path, kim_list, browser_session):
    # A proxy on this machine that passes the browser's address on (X-Forwarded-For) makes
    # Streamlit's server report that address: without a secret, that request is refused.
    from tests.browser_util import serve_app, wait_until_done

    forged = {"X-Forwarded-Email": "kim@corp.example"}
    with serve_app(tmp_path, {"SALESDESK_AUTH_MODE": "header",
                              "SALESDESK_ALLOWLIST": str(kim_list)}) as url:
        for extra, title in (({"X-Forwarded-For": "10.231.0.2"}, "Not authorised"), ({}, "Data")):
            context = browser_session.new_context(extra_http_headers={**forged, **extra})
            try:
                page = context.new_page()
                page.goto(url)
                page.wait_for_selector('[data-testid="stMain"] h1', timeout=90_000)
                wait_until_done(page)
                assert page.locator('[data-testid="stMain"] h1').first.inner_text() == title
                body = page.inner_text("body")
            finally:
                context.close()
            if extra:
                assert "This request came from 10.231.0.2, not from this machine, and the app " \
                    "has no proxy secret" in body and "Signed in as" not in body
            else:  # straight from this machine: the proxy's header is trusted
                assert "Signed in as Kim (admin)" in body
