"""Builds that die or cannot fit: the previous warehouse stays current and readable, and the
next build cleans up after the dead one."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from models.core import settings
from models.core.errors import UserError
from models.core.warehouse import Warehouse
from models.pipeline import build

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def home(built_home, tmp_path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(built_home, copy, symlinks=True)
    return copy


def test_a_killed_build_leaves_the_dashboard_working_and_the_next_build_cleans_up(home):
    before = build.current_build_id(home)
    wh_dir = settings.warehouse_dir(home)
    known = {p.name for p in wh_dir.iterdir()}
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            from pathlib import Path
            from models.pipeline.build import run_build
            run_build(Path({str(home)!r}))
        """)],
        cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    half_written = None
    while half_written is None:  # wait until dbt has written into the new file
        assert time.time() < deadline and child.poll() is None, "the build did not start"
        fresh = [p for p in wh_dir.glob("*.duckdb")
                 if p.name not in known and not p.is_symlink() and p.stat().st_size > 0]
        half_written = fresh[0] if fresh else None
        time.sleep(0.2)
    time.sleep(2)  # half way: some models written, not all
    os.killpg(child.pid, signal.SIGKILL)  # the build and dbt under it
    child.wait(timeout=30)
    assert half_written.exists()
    assert build.current_build_id(home) == before
    assert Warehouse(home).scalar("select count(*) from dim_customers") > 0

    result = build.run_build(home)
    assert result.ok, result.failures
    assert not half_written.exists(), "the killed build's file was not cleaned up"
    assert not (wh_dir / half_written.name.replace(".duckdb", ".dbt")).exists()
    assert build.current_build_id(home) == result.build_id


def test_a_build_that_cannot_fit_on_the_disk_is_refused_with_a_clear_message(home, monkeypatch):
    before = build.current_build_id(home)
    builds_before = len(build.history(home))
    free_mb = shutil.disk_usage(settings.warehouse_dir(home)).free / 1e6
    monkeypatch.setattr(build, "MIN_FREE_MB", free_mb * 2)  # more than the disk has
    with pytest.raises(UserError, match="Not enough free disk space in the warehouse folder"):
        build.run_build(home)
    assert build.current_build_id(home) == before
    assert len(build.history(home)) == builds_before
    assert Warehouse(home).scalar("select count(*) from dim_customers") > 0
