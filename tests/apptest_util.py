"""What the page AppTests share: plain SQL on a built warehouse file (the independent check of
what a page shows) and opening a page as the dev-mode admin with chosen filters.

AppTest runs a switched-to page without app.py (so without the sidebar), so the tests choose
filters by putting the Filters the sidebar would store into the session (``_ui.FILTERS_KEY``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
from streamlit.testing.v1 import AppTest

from models.filters import Filters, last_complete_month
from models.warehouse import READ_CONFIG
from pages import _ui

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def sql(home: Path, query: str, params: list | None = None) -> list[tuple]:
    """Rows of ``query`` on the current warehouse file of ``home`` (read-only)."""
    con = duckdb.connect(str(home / "warehouse" / "current.duckdb"), read_only=True,
                         config=dict(READ_CONFIG))
    try:
        return con.execute(query, params or []).fetchall()
    finally:
        con.close()


def default_month(home: Path) -> date:
    """The month the sidebar picks by default: the last complete month of the build."""
    return last_complete_month(sql(home, "select max(as_of_date) from dim_customers")[0][0])


def open_page(monkeypatch, home: Path, page: str, title: str,
              filters: Filters | None = None) -> AppTest:
    """app.py as the dev-mode admin on ``home``, then ``page`` with ``filters``; checks that it
    ran without an exception and shows ``title``."""
    monkeypatch.setenv("SALESDESK_HOME", str(home))
    monkeypatch.delenv("SALESDESK_AUTH_MODE", raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if filters is not None:
        at.session_state[_ui.FILTERS_KEY] = filters
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == [title]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}
