"""What the page AppTests share: plain SQL on a built warehouse file (the independent check of
what a page shows) and opening a page as the dev-mode admin with chosen filters.

AppTest runs a switched-to page without app.py (so without the sidebar), so the tests choose
filters by putting the Filters the sidebar would store into the session (``kit.FILTERS_KEY``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
from streamlit.testing.v1 import AppTest

from models.core import settings
from models.core.warehouse import READ_CONFIG
from models.queries.filters import Filters, last_complete_month
from ui import kit

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def sql(home: Path, query: str, params: list | None = None) -> list[tuple]:
    """Rows of ``query`` on the current warehouse file of ``home`` (read-only)."""
    # the resolved file and the app's config: DuckDB shares one instance per file in a process
    con = duckdb.connect(str((home / "warehouse" / "current.duckdb").resolve()), read_only=True,
                         config=dict(READ_CONFIG))
    try:
        con.execute(f"set search_path = '{settings.MARTS_SCHEMA}'")  # as the app reads it
        return con.execute(query, params or []).fetchall()
    finally:
        con.close()


def default_month(home: Path) -> date:
    """The month the sidebar picks by default: the last complete month of the build."""
    return last_complete_month(sql(home, "select max(as_of_date) from dim_customers")[0][0])


# An [auth] section for AppTest's secrets (OIDC mode); never a real provider or secret.
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-only",
        "client_id": "test", "client_secret": "test-only",
        "server_metadata_url": "https://login.example.com/.well-known/openid-configuration"}


def open_page(monkeypatch, home: Path, page: str, title: str,
              filters: Filters | None = None, email: str | None = None,
              allowlist: Path | None = None, timeout: int = 60) -> AppTest:
    """app.py on ``home`` as the dev-mode admin, or signed in (OIDC) as ``email`` on the
    ``allowlist``; then ``page`` with ``filters``. Checks that it ran without an exception and
    shows ``title``."""
    monkeypatch.setenv("SALESDESK_HOME", str(home))
    monkeypatch.delenv("SALESDESK_AUTH_MODE", raising=False)
    at = AppTest.from_file(APP, default_timeout=timeout)
    if email is not None:
        monkeypatch.setenv("SALESDESK_ALLOWLIST", str(allowlist))
        at.secrets["auth"] = AUTH
        at.user = {"is_logged_in": True, "email": email}
    at.run()
    if filters is not None:
        at.session_state[kit.FILTERS_KEY] = filters
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == [title]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


class DownloadRecorder:
    """The files of a page's download buttons. AppTest keeps the media files of a run in a
    manager it makes per run; this records those managers (install with ``monkeypatch``) so a
    test can read a button's file, running a written-on-click download's function as a click
    would."""

    def __init__(self, monkeypatch) -> None:
        from streamlit.runtime.media_file_manager import MediaFileManager
        from streamlit.testing.v1 import app_test

        managers = self.managers = []

        class Recording(MediaFileManager):
            def __init__(self, *args, **kwargs) -> None:
                super().__init__(*args, **kwargs)
                managers.append(self)

        monkeypatch.setattr(app_test, "MediaFileManager", Recording)

    def data(self, button) -> bytes:
        """The bytes the download ``button`` (an element of the last run) serves."""
        manager = self.managers[-1]
        url = (manager.execute_deferred(button.proto.deferred_file_id)
               if button.proto.HasField("deferred_file_id") else button.proto.url)
        return manager._storage.get_file(url.rsplit("/", 1)[-1]).content
