"""The Data page under Streamlit's AppTest, on a built demo warehouse and on an empty one."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def run_app(monkeypatch, home: Path) -> AppTest:
    monkeypatch.setenv("SALESDESK_HOME", str(home))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_data_page_shows_loads_builds_and_no_rejections(monkeypatch, built_home):
    at = run_app(monkeypatch, built_home)
    assert at.title[0].value == "Data"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Files loaded"] == "6"
    assert metrics["Current build"] != "none"
    subheaders = [s.value for s in at.subheader]
    assert subheaders == ["Data health of the current build", "Loads", "Builds", "Rejected rows"]
    # a clean demo build has no warnings (the one warning is app.py's dev-mode banner)
    assert [w.value for w in at.warning if "development mode" not in w.value] == []
    health = at.dataframe[0].value
    assert list(health["entity"]) == ["customers", "reps", "products", "sales", "visits",
                                      "quotas"]
    assert (health["rejected"] == 0).all() and (health["loaded"] == health["staged"]).all()
    assert any("built without warnings" in c.value for c in at.caption)
    loads = at.dataframe[1].value
    assert set(loads["entity"]) == {"customers", "reps", "products", "sales", "visits", "quotas"}
    assert any("No rows were rejected" in s.value for s in at.success)


def test_data_page_on_an_empty_data_folder(monkeypatch, tmp_path):
    at = run_app(monkeypatch, tmp_path)
    infos = " ".join(i.value for i in at.info)
    assert "The lake is empty" in infos and "no warehouse yet" in infos


def test_data_page_lists_rejected_rows_by_rule_and_filters(monkeypatch, dirty_home):
    at = run_app(monkeypatch, dirty_home)
    # the build is current, with warnings: more than 5 % of the customers and reps rejected
    warnings = [w.value for w in at.warning if "development mode" not in w.value]
    assert [w.split(":")[0] for w in warnings] == ["customers", "reps"]
    assert "rows rejected" in warnings[0] and "above 5%" in warnings[0]
    assert any("built, with warnings" in c.value for c in at.caption)
    by_rule = at.dataframe[3].value
    assert {"duplicate_key", "unknown_customer", "negative_price"} <= set(by_rule["rule"])
    assert by_rule["meaning"].notna().all()
    rows = at.dataframe[4].value
    assert len(rows) == int(by_rule["rejected_rows"].sum())
    entity_box = next(s for s in at.selectbox if s.label == "Entity" and "all" in s.options)
    entity_box.set_value("sales").run()
    assert not at.exception
    rows = at.dataframe[4].value
    assert set(rows["entity"]) == {"sales"}
    rule_box = next(s for s in at.selectbox if s.label == "Rule")
    rule_box.set_value("unknown_sku").run()
    rows = at.dataframe[4].value
    assert len(rows) >= 3 and set(rows["rule"]) == {"unknown_sku"}
    assert all("sku=" in v for v in rows["raw_values"])
