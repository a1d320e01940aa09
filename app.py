"""salesdesk: the Streamlit router: sign-in, the dev-mode banner, the pages of the user's role,
and the sidebar. Who may see what is decided in models/core/ (identity, scoping); this file only
passes it Streamlit's values (st.user, the request headers, the client address, the
server.address option) and shows the outcome."""

import os

import streamlit as st

from models.core import identity, scoping
from models.core.errors import UserError
from models.engines import adhoc
from ui import kit
from ui.i18n import language_switch, t

st.set_page_config(page_title=t("Sales desk"), page_icon=":bar_chart:", layout="wide")
adhoc.register_build_hook()  # a build from the Data page writes the SQL page's marts copy too


def has_auth_secrets() -> bool:
    """True when .streamlit/secrets.toml has an [auth] section (Streamlit's OIDC sign-in)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets.toml at all
        return False


def request_headers() -> dict[str, list[str]]:
    headers = st.context.headers
    return {key: headers.get_all(key) for key in headers}


def sign_in_page() -> None:
    st.title(t("Sales desk"))
    st.write(t("Sign in with your company account to continue."))
    if st.button(t("Sign in"), type="primary", icon=":material/login:"):
        st.login(os.environ.get("SALESDESK_AUTH_PROVIDER") or None)


def refused_page(message: str, mode: str | None, misconfigured: bool = False) -> None:
    if misconfigured:
        st.title(t("Sign-in is not set up"))
        st.error(message)
        st.caption(t("Nobody can use the sales desk until an admin changes the server's sign-in "
                     "settings (README: Sign-in, roles and the SQL page)."))
        return
    st.title(t("Not authorised"))
    st.error(message)
    st.caption(t("Access to the sales desk is granted by an admin, who adds your e-mail "
                 "address with a role to the allow-list."))
    if mode == "oidc" and st.button(t("Sign out"), icon=":material/logout:"):
        st.logout()


# The manager pages; the sidebar filters (ui/kit.py) apply to those in FILTERED_PAGES. Titles
# are msgids: pages_for shows them through t().
SALES_PAGES = [
    ("pages/overview.py", "Overview", ":material/dashboard:", "overview"),
    ("pages/scoring.py", "Scoring", ":material/leaderboard:", "scoring"),
    ("pages/customer.py", "Customer card", ":material/storefront:", "customer"),
    ("pages/growth.py", "Growth", ":material/trending_up:", "growth"),
    ("pages/visits.py", "Visits", ":material/directions_walk:", "visits"),
]
FIELD_PAGES = [
    ("pages/routes.py", "Route planning", ":material/route:", "routes"),
    ("pages/commissions.py", "Commissions", ":material/payments:", "commissions"),
]
FILTERED_PAGES = {"overview", "scoring", "customer", "growth", "visits"}  # url paths


TODAY_PAGE = ("pages/today.py", "Today", ":material/today:", "today")


def landing_url(user: identity.User) -> str | None:
    """The page a user lands on: a rep's day for a rep, the Overview for managers, the Data
    page for the data team (None: their default is set with the Data page)."""
    if user.role in scoping.DATA_TEAM_ROLES:
        return None
    return "today" if user.role == "rep" else "overview"


def page_title(title: str) -> str:
    """A page's title in the navigation, in the session's language (the titles above are the
    msgids; the literal t() calls here put them in the catalogue)."""
    titles = {"Overview": t("Overview"), "Scoring": t("Scoring"),
              "Customer card": t("Customer card"), "Growth": t("Growth"),
              "Visits": t("Visits"), "Route planning": t("Route planning"),
              "Commissions": t("Commissions"), "Today": t("Today"), "Data": t("Data"),
              "SQL": t("SQL")}
    return titles.get(title, title)


def pages_for(user: identity.User) -> dict:
    data_team = user.role in scoping.DATA_TEAM_ROLES
    landing = landing_url(user)
    pages: dict[str, list] = {}
    if user.role == "rep":  # the rep's landing page first
        pages[t("My day")] = [st.Page(TODAY_PAGE[0], title=page_title(TODAY_PAGE[1]),
                                      icon=TODAY_PAGE[2], url_path=TODAY_PAGE[3], default=True)]
    pages[t("Customers")] = [st.Page(path, title=page_title(title), icon=icon, url_path=url,
                                     default=(url == landing))
                             for path, title, icon, url in SALES_PAGES]
    field = FIELD_PAGES if user.role == "rep" else [TODAY_PAGE, *FIELD_PAGES]
    pages[t("Field")] = [st.Page(path, title=page_title(title), icon=icon, url_path=url)
                         for path, title, icon, url in field]
    data_section = t("Data")
    if data_team:
        pages[data_section] = [st.Page("pages/data.py", title=page_title("Data"),
                                       icon=":material/database:", url_path="data",
                                       default=True)]
    if user.can_run_sql:
        pages[data_section] = [*pages.get(data_section, []),
                               st.Page("pages/sql.py", title=page_title("SQL"),
                                       icon=":material/terminal:", url_path="sql")]
    return pages


def sidebar(user: identity.User) -> None:
    with st.sidebar:
        st.markdown("### " + t("Sales desk"))
        st.caption(t("Signed in as {user}  \nSees {scope}", user=kit.user_label(user),
                     scope=kit.describe_scope(user.scope)))
        if user.mode == "oidc" and st.button(t("Sign out"), icon=":material/logout:"):
            st.logout()
        language_switch()
        st.session_state[kit.BUILD_SLOT_KEY] = st.empty()
    kit.show_build()


def resolve_user() -> tuple[identity.AuthConfig, identity.User]:
    """The sign-in settings and the signed-in user; NotSignedIn, NotAuthorised or UserError
    (SignInMisconfigured: settings under which nobody is let in)."""
    address = st.get_option("server.address")  # i18n: ignore (an option's name)
    config = identity.auth_config(has_auth_secrets(), server_address=address)
    ip = st.context.ip_address  # None for localhost (and not a str under AppTest)
    return config, identity.identify(
        config,
        user_info=st.user.to_dict() if config.mode == "oidc" else None,
        headers=request_headers() if config.mode == "header" else None,
        client_ip=ip if isinstance(ip, str) else None,
    )


def dev_banner(config: identity.AuthConfig) -> None:
    if config.explicit:
        st.warning(t("**Development mode** ({setting}=dev): sign-in is off and everyone who "
                     "reaches this app, from any machine, is the admin. Configure sign-in "
                     "before real data goes in (README: Sign-in, roles and the SQL page).",
                     setting=identity.ENV_MODE),
                   icon=":material/warning:")
    else:
        st.warning(t("**Local development mode**: sign-in is not configured, so you are the "
                     "admin. The app listens on this machine only; anything that forwards its "
                     "port to other machines makes their users the admin too. Configure "
                     "sign-in before anyone else uses this app (README: Sign-in, roles and the "
                     "SQL page)."),
                   icon=":material/warning:")


try:
    auth, user = resolve_user()
except identity.NotSignedIn:
    st.session_state.pop(identity.SESSION_KEY, None)
    st.navigation([st.Page(sign_in_page, title=t("Sign in"), url_path="signin")],
                  position="hidden").run()
    st.stop()
except UserError as e:  # not on the allow-list, a broken allow-list, unsafe or unknown settings
    st.session_state.pop(identity.SESSION_KEY, None)
    mode = os.environ.get(identity.ENV_MODE) or ("oidc" if has_auth_secrets() else None)
    misconfigured, message = isinstance(e, identity.SignInMisconfigured), str(e)
    st.navigation([st.Page(lambda: refused_page(message, mode, misconfigured),
                           title=t("Sign-in is not set up") if misconfigured
                           else t("Not authorised"),
                           url_path="denied")], position="hidden").run()
    st.stop()

st.session_state[identity.SESSION_KEY] = user
kit.pin_warehouse()  # every query of this run reads one build (see models/core/warehouse.py)
if user.mode == "dev":
    dev_banner(auth)

page = st.navigation(pages_for(user))
# The default page's url_path is "", so look its path up by title (as shown, translated).
url_of = {page_title(title): url for _, title, _, url in SALES_PAGES + FIELD_PAGES + [TODAY_PAGE]}
if url_of.get(page.title) in FILTERED_PAGES:
    kit.filter_sidebar(user)
sidebar(user)  # before the page, whose st.stop() (an empty selection) would skip it
page.run()
