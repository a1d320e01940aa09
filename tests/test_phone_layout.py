"""The phone layout of the pages a rep opens (ui/kit.py: is_narrow, grid, chart): at most
PHONE_MAX_COLUMNS columns per grid, links as buttons, charts without the mode bar."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from models.core.scoping import ALL_DATA
from models.core.warehouse import get_warehouse
from models.engines import planner
from ui import kit
from tests.apptest_util import open_page

PAGES = Path(__file__).resolve().parent.parent / "pages"
# The pages only the data team opens (app.py: DATA_TEAM_ROLES, SQL_ROLES); every other page is
# one a rep may open.
DATA_TEAM_PAGES = {"data.py", "sql.py"}


def test_every_plotly_chart_goes_through_the_page_kit():
    offenders = [f"{path.name}:{n}" for path in sorted(PAGES.glob("*.py"))
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"\bst\.plotly_chart\(|\bplotly_chart\(", line)]
    assert offenders == []
    assert "kit.chart(" in (PAGES / "overview.py").read_text(encoding="utf-8")


def test_every_grid_of_a_rep_page_goes_through_the_page_kit():
    offenders = [f"{path.name}:{n}" for path in sorted(PAGES.glob("*.py"))
                 if path.name not in DATA_TEAM_PAGES
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"\bst\.(dataframe|data_editor)\(", line)]
    assert offenders == []


def test_a_phone_grid_keeps_the_chosen_columns_and_takes_the_links_out():
    frame = pl.DataFrame({"a": [1], "b": [2], "hidden": [0], "url": ["https://x.example/1"],
                          "c": [3], "d": [4], "e": [5]})
    config = {"hidden": None, "url": st.column_config.LinkColumn("Map", display_text="open")}
    shown, links = kit.phone_frame(frame, config)
    assert shown.columns == ["a", "b", "c", "d"]  # neither the hidden nor the link column
    assert list(links) == ["url"]
    shown, _ = kit.phone_frame(frame, config, phone_columns=["e", "url", "a"])
    assert shown.columns == ["e", "a"]


def shown_widths(at: AppTest) -> list[int]:
    return [len(d.value.columns) for d in at.dataframe]


def rep_allowlist(tmp_path: Path, rep_id: str) -> Path:
    allowlist = tmp_path / "allowlist.toml"
    allowlist.write_text(f'[[user]]\nemail = "ren@example.com"\nrole = "rep"\n'
                         f'rep_id = "{rep_id}"\n')
    return allowlist


@pytest.fixture(scope="module")
def busiest_rep(built_home) -> str:
    reps = planner.reps(get_warehouse(built_home), ALL_DATA)
    return reps.sort(["due_visits", "rep_id"], descending=[True, False])["rep_id"][0]


def test_a_rep_plans_a_route_in_the_phone_layout(monkeypatch, built_home, busiest_rep,
                                                  tmp_path):
    at = open_page(monkeypatch, built_home, "pages/routes.py", "Route planning",
                   email="ren@example.com", allowlist=rep_allowlist(tmp_path, busiest_rep),
                   timeout=120)
    at.button(key="routes_run").click().run()
    assert not at.exception and not at.error
    rp = at.session_state["routes_plan"]["plan"]
    assert not rp.visits.is_empty()
    widths = shown_widths(at)
    assert widths and max(widths) <= kit.PHONE_MAX_COLUMNS
    stops = next(d.value for d in at.dataframe if "customer_name" in d.value.columns
                 and "seq" in d.value.columns)
    assert "navigation" not in stops.columns
    # every stop's directions link is a button (the grid's cell would only be selected)
    expected = planner.with_navigation(rp.visits, "amap")["navigation"].to_list()
    urls = [b.proto.url for b in at.get("link_button")]
    assert expected and all(u in urls for u in expected)
    charts = at.get("plotly_chart")
    assert charts and all(json.loads(c.proto.config).get("displayModeBar") is False
                          for c in charts)

    # a wide screen measured by the browser: the whole grid, the link in its column
    at.session_state[kit.NARROW_KEY] = False
    at.run()
    stops = next(d.value for d in at.dataframe if "customer_name" in d.value.columns
                 and "seq" in d.value.columns)
    assert "navigation" in stops.columns and len(stops.columns) > kit.PHONE_MAX_COLUMNS
    assert not [b for b in at.get("link_button") if b.proto.url in expected]


def test_a_rep_sees_commissions_in_the_phone_layout(monkeypatch, built_home, busiest_rep,
                                                     tmp_path):
    at = open_page(monkeypatch, built_home, "pages/commissions.py", "Commissions",
                   email="ren@example.com", allowlist=rep_allowlist(tmp_path, busiest_rep),
                   timeout=120)
    assert not at.exception and not at.error
    widths = shown_widths(at)
    assert widths and max(widths) <= kit.PHONE_MAX_COLUMNS
    team = next(d.value for d in at.dataframe if "rep_name" in d.value.columns)
    assert "total_commission" in team.columns
    assert all(json.loads(c.proto.config).get("displayModeBar") is False
               for c in at.get("plotly_chart"))


def test_an_admin_on_an_unmeasured_screen_gets_the_whole_grid(monkeypatch, built_home):
    at = open_page(monkeypatch, built_home, "pages/commissions.py", "Commissions", timeout=120)
    assert not at.exception
    assert max(shown_widths(at)) > kit.PHONE_MAX_COLUMNS
