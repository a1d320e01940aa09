"""Shared fixtures: a small demo lake built once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import build
from models.demo import generate
from models.ingest import ingest_paths

SCALE = 0.05


@pytest.fixture(scope="session", autouse=True)
def app_served_on_loopback():
    """AppTest runs app.py in this process, where Streamlit's server.address is unset (as for a
    server on every interface), under which app.py refuses the default dev sign-in. Tests stand
    for `make run`, which serves on 127.0.0.1. (Tests of other addresses set it themselves.)"""
    from streamlit import config

    before = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")
    yield
    config.set_option("server.address", before)


@pytest.fixture(scope="session")
def built_home(tmp_path_factory) -> Path:
    """A data folder with a clean scale-0.05 demo lake and one good build (with unit tests)."""
    home = tmp_path_factory.mktemp("home")
    generate(home / "demo", scale=SCALE, seed=7)
    ingest_paths([home / "demo"], base=home)
    result = build.run_build(home, unit_tests=True)
    assert result.ok, result.failures
    return home


@pytest.fixture(scope="session")
def dirty_home(tmp_path_factory) -> Path:
    """A data folder with a dirty scale-0.05 demo lake (every row-level fault) and one build."""
    home = tmp_path_factory.mktemp("dirty")
    generate(home / "demo", scale=SCALE, seed=11, dirty=True)
    ingest_paths([home / "demo"], base=home)
    result = build.run_build(home)
    assert result.ok, result.failures
    return home


@pytest.fixture(scope="session")
def served_app(built_home):
    """The app served by streamlit on the built demo folder (read-only use: do not rebuild or
    upload through it; copy the folder for that, as tests/test_browser.py does)."""
    from tests.browser_util import serve_app

    with serve_app(built_home) as url:
        yield url


@pytest.fixture(scope="session")
def browser_session():
    """One headless chromium for the session's browser tests."""
    from tests.browser_util import chromium

    with chromium() as browser:
        yield browser


KNOWN_ANSWER = Path(__file__).resolve().parent.parent / "data" / "fixtures" / "known_answer"


@pytest.fixture(scope="session")
def known_answer_home(tmp_path_factory) -> Path:
    """SPEC 3's known answer (data/fixtures/known_answer): 20 customers with 2,500,000 of sales
    in the tier window (half in February, half in March 2026), the top 4 holding 80 % and the
    next 6 holding 15 %. Built as of 2026-03-31 (March is the last complete month) with
    tier_s_share 0, so that March grades 4 A, 6 B and 10 C."""
    home = tmp_path_factory.mktemp("known_answer")
    ingest_paths(sorted(KNOWN_ANSWER.glob("*.csv")), base=home)
    result = build.run_build(home, dbt_vars={"as_of_date": "2026-03-31", "tier_s_share": 0})
    assert result.ok, result.failures
    return home
