"""Sign-in modes, the allow-list, and row scopes in the query layer (models/access.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import access, adhoc, settings
from models.access import AuthConfig, NotAuthorised, NotSignedIn, Scope, User
from models.errors import UserError
from models.warehouse import Warehouse
from tests.test_adhoc import make_small_warehouse

ROOT = Path(__file__).resolve().parent.parent

ALLOWLIST = {
    "ana@example.com": User("ana@example.com", "analyst"),
    "mona@example.com": User("mona@example.com", "manager", region="North"),
    "rick@example.com": User("rick@example.com", "rep", rep_id="R1"),
}


def config(mode: str, **kw) -> AuthConfig:
    return AuthConfig(mode=mode, explicit=kw.pop("explicit", True),
                      header=kw.pop("header", access.DEFAULT_HEADER),
                      allowlist=kw.pop("allowlist", Path("/nonexistent/allowlist.toml")), **kw)


# --- choosing the mode -----------------------------------------------------------------------

def test_the_mode_defaults_to_oidc_with_auth_secrets_and_to_dev_without():
    assert access.auth_config(True, env={}).mode == "oidc"
    dev = access.auth_config(False, env={})
    assert (dev.mode, dev.explicit) == ("dev", False)
    header = access.auth_config(False, env={"SALESDESK_AUTH_MODE": "Header",
                                            "SALESDESK_AUTH_HEADER": "X-Auth-Request-Email",
                                            "SALESDESK_ALLOWLIST": "/etc/salesdesk/users.csv"})
    assert (header.mode, header.explicit, header.header, header.allowlist) == \
        ("header", True, "X-Auth-Request-Email", Path("/etc/salesdesk/users.csv"))


def test_a_bad_mode_is_refused():
    with pytest.raises(UserError, match="not a sign-in mode"):
        access.auth_config(False, env={"SALESDESK_AUTH_MODE": "none"})
    with pytest.raises(UserError, match=r"no \[auth\] section"):
        access.auth_config(False, env={"SALESDESK_AUTH_MODE": "oidc"})


# --- dev mode --------------------------------------------------------------------------------

def test_dev_mode_is_a_single_admin_on_this_machine_only():
    implicit = config("dev", explicit=False)
    for ip in (None, "127.0.0.1", "::1"):
        assert access.identify(implicit, client_ip=ip) == access.DEV_USER
    assert access.DEV_USER.role == "admin" and access.DEV_USER.mode == "dev"
    with pytest.raises(NotAuthorised, match="only serves this machine"):
        access.identify(implicit, client_ip="10.1.2.3")
    # chosen on purpose (SALESDESK_AUTH_MODE=dev): served to anyone, with the banner
    assert access.identify(config("dev"), client_ip="10.1.2.3") == access.DEV_USER


# --- oidc mode -------------------------------------------------------------------------------

def test_oidc_needs_a_signed_in_user_on_the_allow_list():
    oidc = config("oidc")
    with pytest.raises(NotSignedIn):
        access.identify(oidc, user_info={}, allowlist=ALLOWLIST)
    with pytest.raises(NotSignedIn):
        access.identify(oidc, user_info={"is_logged_in": False, "email": "ana@example.com"},
                        allowlist=ALLOWLIST)
    with pytest.raises(NotAuthorised, match="not on the sales desk's allow-list"):
        access.identify(oidc, user_info={"is_logged_in": True, "email": "eve@example.com"},
                        allowlist=ALLOWLIST)
    with pytest.raises(NotAuthorised, match="not verified"):
        access.identify(oidc, user_info={"is_logged_in": True, "email": "ana@example.com",
                                         "email_verified": False}, allowlist=ALLOWLIST)
    with pytest.raises(NotAuthorised, match="no e-mail"):
        access.identify(oidc, user_info={"is_logged_in": True}, allowlist=ALLOWLIST)
    user = access.identify(oidc, user_info={"is_logged_in": True, "email": " Mona@Example.com",
                                            "name": "Mona"}, allowlist=ALLOWLIST)
    assert (user.email, user.role, user.region, user.name, user.mode) == \
        ("mona@example.com", "manager", "North", "Mona", "oidc")
    assert user.scope == Scope("manager", region="North") and not user.can_run_sql


def test_without_an_allow_list_nobody_is_let_in(tmp_path):
    with pytest.raises(NotAuthorised, match="no allow-list"):
        access.identify(config("oidc", allowlist=tmp_path / "missing.toml"),
                        user_info={"is_logged_in": True, "email": "ana@example.com"})


# --- header mode -----------------------------------------------------------------------------

def test_the_trusted_header_gives_the_email():
    assert access.email_from_headers({"X-Forwarded-Email": "Ana@Example.com"}) == \
        "ana@example.com"
    assert access.email_from_headers({"x-forwarded-email": ["ana@example.com"]}) == \
        "ana@example.com"
    assert access.email_from_headers({"X-Auth-Request-Email": "ana@example.com"},
                                     header="x-auth-request-email") == "ana@example.com"
    # the same value twice (a proxy that appends) is fine
    assert access.email_from_headers({"X-Forwarded-Email": ["a@b.co", "A@B.co"]}) == "a@b.co"


@pytest.mark.parametrize("headers, message", [
    ({}, "sent no X-Forwarded-Email"),
    ({"Host": "salesdesk"}, "sent no X-Forwarded-Email"),
    ({"X-Forwarded-Email": ["ana@example.com", "boss@example.com"]}, "more than once"),
    ({"X-Forwarded-Email": "not an email"}, "does not hold an e-mail"),
    ({"X-Forwarded-Email": "ana@example.com, boss@example.com"}, "does not hold an e-mail"),
])
def test_a_missing_repeated_or_odd_header_is_refused(headers, message):
    with pytest.raises(NotAuthorised, match=message):
        access.email_from_headers(headers)


def test_the_proxy_secret_is_required_when_configured():
    headers = {"X-Forwarded-Email": "ana@example.com"}
    with pytest.raises(NotAuthorised, match="did not come through the sign-in proxy"):
        access.email_from_headers(headers, proxy_secret="s3cret")
    with pytest.raises(NotAuthorised, match="did not come through the sign-in proxy"):
        access.email_from_headers({**headers, "X-Salesdesk-Proxy-Secret": "guess"},
                                  proxy_secret="s3cret")
    assert access.email_from_headers({**headers, "x-salesdesk-proxy-secret": "s3cret"},
                                     proxy_secret="s3cret") == "ana@example.com"


def test_header_mode_maps_the_email_through_the_allow_list():
    user = access.identify(config("header"), headers={"X-Forwarded-Email": "rick@example.com"},
                           allowlist=ALLOWLIST)
    assert (user.role, user.rep_id, user.mode) == ("rep", "R1", "header")
    assert user.scope == Scope("rep", rep_id="R1")
    with pytest.raises(NotAuthorised, match="allow-list"):
        access.identify(config("header"), headers={"X-Forwarded-Email": "eve@example.com"},
                        allowlist=ALLOWLIST)


def test_a_client_sent_header_is_ignored_unless_header_mode_is_configured():
    forged = {"X-Forwarded-Email": "ana@example.com", "x-salesdesk-proxy-secret": "x"}
    # oidc: the header does not sign anyone in
    with pytest.raises(NotSignedIn):
        access.identify(config("oidc"), user_info={}, headers=forged, allowlist=ALLOWLIST)
    user = access.identify(config("oidc"),
                           user_info={"is_logged_in": True, "email": "mona@example.com"},
                           headers=forged, allowlist=ALLOWLIST)
    assert user.email == "mona@example.com"
    # dev: the header does not change who you are
    assert access.identify(config("dev", explicit=False), headers=forged) == access.DEV_USER
    # and the default configuration (no env, no [auth]) is dev, never header
    assert access.auth_config(False, env={}).mode == "dev"


# --- the allow-list file ---------------------------------------------------------------------

def test_the_example_allow_list_parses():
    users = access.load_allowlist(ROOT / "config" / "allowlist.example.toml")
    assert {u.role for u in users.values()} == set(access.ROLES)


def test_a_csv_allow_list(tmp_path):
    path = tmp_path / "users.csv"
    path.write_text("email,role,region,rep_id,name\n"
                    "Ana@Example.com,Analyst,,,Ana\n"
                    "mona@example.com,manager,华北,,\n", encoding="utf-8-sig")
    users = access.load_allowlist(path)
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
        access.load_allowlist(path)
    with pytest.raises(UserError):
        access.identify(config("header", allowlist=path),
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
    q = access.query_scoped
    assert ids(q(small_wh, "select * from dim_customers", NORTH)) == ["C1", "C2", "C3"]
    tiers = q(small_wh, "select * from fct_customer_tiers", NORTH)
    assert set(tiers["customer_id"]) == {"C1", "C2", "C3"} and tiers.height == 6
    assert ids(q(small_wh, "select * from rpt_rep_books", NORTH), "rep_id") == ["R1", "R2"]
    # a mart without a scope rule is empty for them; staging too
    assert q(small_wh, "select * from rpt_rejected_rows", NORTH).is_empty()
    assert q(small_wh, "select * from stg_sales_lake__customers", NORTH).is_empty()


def test_a_rep_sees_only_their_own_customers_and_rep_row(small_wh):
    q = access.query_scoped
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
    north = access.query_scoped(small_wh, sql, NORTH, {"min_revenue": 60})
    assert north["customer_id"].to_list() == ["C2", "C1"]
    everyone = access.query_scoped(small_wh, sql, access.ALL_DATA, {"min_revenue": 60})
    assert everyone["customer_id"].to_list() == ["C5", "C2", "C1", "C4"]


def test_analysts_and_admins_see_everything(small_wh):
    for role in ("admin", "analyst"):
        frame = access.query_scoped(small_wh, "select * from dim_customers", Scope(role))
        assert frame.height == 6
    assert access.query_scoped(small_wh, "select * from rpt_rejected_rows",
                               Scope("analyst")).height == 1


def test_a_qualified_name_cannot_get_past_the_scope(small_wh):
    for sql in ("select * from main.dim_customers", 'select * from "main".dim_customers',
                "select * from memory.main.x"):
        with pytest.raises(ValueError, match="unqualified"):
            access.query_scoped(small_wh, sql, NORTH)
    with pytest.raises(ValueError, match="reserved"):
        access.query_scoped(small_wh, "select $scope_region", NORTH, {"scope_region": "South"})
    with pytest.raises(TypeError):
        access.query_scoped(small_wh, "select ?", NORTH, ["x"])  # type: ignore[arg-type]


def test_every_scope_rule_names_real_columns_of_the_demo_build(built_home):
    wh = Warehouse(built_home)
    tables = set(wh.tables())
    missing = sorted(set(access.MART_SCOPES) - tables)
    assert not missing, f"MART_SCOPES names marts the build lacks: {missing}"
    for mart in access.MART_SCOPES:
        for scope in (Scope("manager", region="North"), Scope("rep", rep_id="R0008")):
            access.query_scoped(wh, f"select * from {mart} limit 1", scope)  # binds


def test_scopes_on_the_demo_build(built_home):
    wh = Warehouse(built_home)
    everyone = wh.query("select customer_id, region, maintainer_rep_id from dim_customers")
    regions = set(everyone["region"])
    assert len(regions) > 1
    for region in regions:
        scope = Scope("manager", region=region)
        seen = access.query_scoped(wh, "select customer_id from dim_customers", scope)
        expected = everyone.filter(everyone["region"] == region)
        assert ids(seen) == ids(expected)
        tiers = access.query_scoped(wh, "select distinct customer_id from fct_customer_tiers",
                                    scope)
        assert set(tiers["customer_id"]) <= set(expected["customer_id"])
        books = access.query_scoped(wh, "select distinct region from rpt_rep_books", scope)
        assert books["region"].to_list() == [region]
    rep = everyone["maintainer_rep_id"][0]
    own = access.query_scoped(wh, "select customer_id from dim_customers",
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
