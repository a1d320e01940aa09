"""The pages' one cached read (ui.kit.cached): keyed on the build, the scope and the arguments,
so a rebuild is never answered from the old build and one scope never from another's cache.

Run inside AppTest (a real Streamlit script run, real st.cache_data, shared by the runs of this
process as by the sessions of a server) on a copy of the demo build."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from models.core import settings
from models.core.identity import User
from ui import kit

COUNT_SQL = "select count(*) as n from dim_customers"


def _script():
    import streamlit as st

    from models.core import identity
    from models.core.warehouse import Warehouse
    from models.queries.filters import read
    from ui import kit

    user = st.session_state["test_user"]
    st.session_state[identity.SESSION_KEY] = user
    wh = Warehouse(st.session_state["test_home"]).pin()
    st.text(str(kit.cached(read, st.session_state["test_sql"], user.scope, wh=wh)["n"][0]))
    st.text(wh.build_id)


def _count(home: Path, user: User) -> tuple[int, str]:
    at = AppTest.from_function(_script, default_timeout=60)
    at.session_state["test_user"] = user
    at.session_state["test_home"] = home
    at.session_state["test_sql"] = COUNT_SQL
    at.run()
    assert not at.exception, at.exception
    return int(at.text[0].value), at.text[1].value


def _sql(path: Path, query: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute(f"set search_path = '{settings.MARTS_SCHEMA}'")  # the marts, as the app
        return con.execute(query).fetchall()
    finally:
        con.close()


@pytest.fixture
def home(built_home, tmp_path) -> Path:
    """A data folder whose current build is a copy of the demo build."""
    source = settings.current_link(built_home).resolve()
    wh_dir = settings.warehouse_dir(tmp_path)
    wh_dir.mkdir(parents=True)
    shutil.copyfile(source, wh_dir / source.name)
    (wh_dir / "current.duckdb").symlink_to(source.name)
    return tmp_path


def _swap_in_a_smaller_build(home: Path, build_id: str) -> int:
    """A new build file with the first ten customers gone, made current; its customer count."""
    wh_dir = settings.warehouse_dir(home)
    current = settings.current_link(home).resolve()
    new = wh_dir / f"{build_id}.duckdb"
    shutil.copyfile(current, new)
    con = duckdb.connect(str(new))
    try:
        con.execute(f"set search_path = '{settings.MARTS_SCHEMA}'")
        con.execute("delete from dim_customers where customer_id in "
                    "(select customer_id from dim_customers order by customer_id limit 10)")
    finally:
        con.close()
    link = settings.current_link(home)
    link.unlink()
    link.symlink_to(new.name)
    return _sql(new, COUNT_SQL)[0][0]


def test_a_rebuild_is_read_from_the_new_build_not_the_cache(home):
    admin = User(email="a@example.com", role="admin", name="Admin")
    before, first_build = _count(home, admin)
    assert before == _sql(settings.current_link(home).resolve(), COUNT_SQL)[0][0]
    assert _count(home, admin) == (before, first_build)  # same build: same answer
    after = _swap_in_a_smaller_build(home, "29991231T000000-beef")
    assert after == before - 10
    assert _count(home, admin) == (after, "29991231T000000-beef")


def test_each_scope_gets_its_own_rows_from_the_cache(home):
    path = settings.current_link(home).resolve()
    region, rep_id = _sql(path, "select region, maintainer_rep_id from dim_customers "
                                "where maintainer_rep_id is not null order by customer_id limit 1")[0]
    manager = User(email="m@example.com", role="manager", region=region)
    rep = User(email="r@example.com", role="rep", rep_id=rep_id)
    admin = User(email="a@example.com", role="admin")
    expected = {
        "admin": _sql(path, COUNT_SQL)[0][0],
        "manager": _sql(path, f"{COUNT_SQL} where region = '{region}'")[0][0],
        "rep": _sql(path, f"{COUNT_SQL} where maintainer_rep_id = '{rep_id}'")[0][0],
    }
    assert expected["admin"] > expected["manager"] > expected["rep"] > 0
    # every order of first use: whoever reads first, the others never get those rows
    for user in (rep, manager, admin, manager, rep):
        assert _count(home, user)[0] == expected[user.role]


def test_a_page_local_function_is_refused():
    def local(wh, n):
        return n

    with pytest.raises(TypeError, match="module-level function of models/"):
        kit.cached(local, 1)
