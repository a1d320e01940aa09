"""The demo looks like a Chinese distributor (names, regions, districts, products, notes in
Chinese; every code ASCII), and the command line's refusals follow SALESDESK_LANG."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import polars as pl
import pytest

from models.core.errors import UserError
from models.demo.constants import REGIONS
from models.demo.generator import generate
from models.i18n.messages import N_, error_text
from models.pipeline import cli, contracts
from models.pipeline.build import BuildResult
from tests.pinned import TODAY

CJK = re.compile(r"[\u4e00-\u9fff]")
ASCII_CODE = re.compile(r"^[A-Za-z0-9_]+$")


def all_chinese(values: list) -> bool:
    return bool(values) and all(v is not None and CJK.search(v) for v in values)


def all_codes(values: list) -> bool:
    return bool(values) and all(v is not None and ASCII_CODE.match(v) for v in values)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict[str, pl.DataFrame]:
    summary = generate(tmp_path_factory.mktemp("zh_demo"), scale=0.05, seed=7, today=TODAY)
    read = {".csv": lambda p: pl.read_csv(p, infer_schema=False), ".parquet": pl.read_parquet}
    return {entity: read[path.suffix](path) for entity, path in summary.files.items()
            if entity in ("customers", "reps", "products", "visits")}


def test_the_demos_regions_are_the_five_chinese_city_areas(demo):
    names = {r.name for r in REGIONS}
    assert names == {"中心片区", "城北片区", "城东片区", "城南片区", "城西片区"}
    assert set(demo["customers"]["region"]) == names
    assert set(demo["reps"]["region"]) == names
    districts = {d for r in REGIONS for d in r.districts}
    assert set(demo["customers"]["district"]) <= districts
    assert all_chinese(demo["customers"]["district"].to_list())
    # an address names the city and the customer's own district
    for district, address in demo["customers"].select("district", "address").rows()[:50]:
        assert address.startswith("济南市" + district)


def test_the_demos_people_shops_and_products_have_chinese_names(demo):
    assert all_chinese(demo["customers"]["name"].to_list())
    assert all_chinese(demo["reps"]["name"].to_list())
    assert all_chinese(demo["products"]["name"].to_list())


def test_the_demos_codes_stay_ascii(demo):
    customers, reps, products, visits = (demo[e] for e in ("customers", "reps", "products",
                                                           "visits"))
    assert all_codes(customers["customer_id"].to_list())
    assert set(customers["channel"]) <= set(contracts.CHANNELS)
    assert all_codes(reps["rep_id"].to_list())
    assert set(reps["role"]) <= set(contracts.REP_ROLES)
    assert all_codes(products["sku"].to_list())
    assert all_codes(products["category"].to_list())
    assert set(products["price_band"]) <= set(contracts.PRICE_BANDS)
    assert all_codes(visits["visit_id"].to_list())
    assert set(visits["visit_type"]) <= set(contracts.VISIT_TYPES)
    assert set(visits["purpose"]) <= set(contracts.VISIT_PURPOSES)
    assert set(visits["outcome"]) <= set(contracts.VISIT_OUTCOMES)


def test_the_demos_visit_notes_and_next_steps_are_chinese(demo):
    visits = demo["visits"]
    notes = visits["notes"].drop_nulls().to_list()
    steps = visits["next_step"].drop_nulls().to_list()
    assert all_chinese(notes) and all_chinese(steps)
    # a next step only beside a note; some notes have none
    assert visits.filter(pl.col("notes").is_null() & pl.col("next_step").is_not_null()).is_empty()
    assert len(steps) < len(notes)


# --- the command line's language ----------------------------------------------------------

@pytest.fixture()
def bad_file(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SALESDESK_HOME", str(tmp_path / "home"))
    path = tmp_path / "customers.csv"
    path.write_text("foo,bar\nC1,老街便利店\n", encoding="utf-8")
    return path


def test_a_refusal_is_printed_in_chinese_under_salesdesk_lang(bad_file, monkeypatch, capsys):
    monkeypatch.setenv("SALESDESK_LANG", "zh-CN")
    assert cli.main(["ingest", str(bad_file)]) == 1
    out, err = capsys.readouterr()
    assert err.startswith("错误 customers.csv：按 customers 导入被拒收：缺少必填列 customer_id, name。")
    assert "文件中的列：foo, bar。" in err and err.rstrip().endswith("未导入任何数据。")
    assert "refused" not in err and "ERROR" not in err
    assert out.startswith("已导入 0/1 个文件")


def test_the_same_refusal_is_english_without_it(bad_file, monkeypatch, capsys):
    monkeypatch.delenv("SALESDESK_LANG", raising=False)
    assert cli.main(["ingest", str(bad_file)]) == 1
    out, err = capsys.readouterr()
    assert err.startswith("ERROR customers.csv: refused as customers: missing required column(s) "
                          "customer_id, name. Found columns: foo, bar.")
    assert err.rstrip().endswith("Nothing was loaded.") and not CJK.search(err.replace("老街便利店", ""))
    assert out.startswith("Ingested 0 of 1 file(s)")


def test_an_empty_file_and_a_missing_one_in_chinese(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SALESDESK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SALESDESK_LANG", "zh")  # any Chinese is zh-CN
    (tmp_path / "sales.csv").write_bytes(b"")
    assert cli.main(["ingest", str(tmp_path / "sales.csv")]) == 1
    assert capsys.readouterr().err == "错误 sales.csv：已拒收：文件是空的。未导入任何数据。\n"
    assert cli.main(["ingest", str(tmp_path / "nothere.csv")]) == 2
    assert capsys.readouterr().err == f"错误 {tmp_path / 'nothere.csv'}：文件或文件夹不存在。\n"


def test_a_marked_error_reads_as_before_in_english_and_survives_pickling():
    error = UserError(N_("{name}: refused: the file is empty.", name="a.csv"),
                      N_("Nothing was loaded."))
    assert str(error) == "a.csv: refused: the file is empty. Nothing was loaded."
    again = pickle.loads(pickle.dumps(error))
    assert error_text(again, "zh-CN") == "a.csv：已拒收：文件是空的。未导入任何数据。"
    plain = UserError("Dates are YYYY-MM-DD.")
    assert error_text(plain, "zh-CN") == str(plain) == "Dates are YYYY-MM-DD."


def test_a_failed_builds_header_follows_the_language():
    failed = BuildResult(build_id="20261118T090000-ab12", status="failed", started_at="",
                         seconds=3.25, failures=["model stg_x: syntax error"])
    assert failed.text("zh-CN").splitlines() == [
        "构建 20261118T090000-ab12 失败（用时 3.2 秒）；当前数据仓库保持不变。失败原因：",
        "  - model stg_x: syntax error"]
    assert str(failed).startswith("Build 20261118T090000-ab12 FAILED after 3.2 s; the current "
                                  "warehouse was left as it was. What failed:")


def _show_a_refusal() -> None:
    import streamlit as st

    from models.core.errors import UserError
    from models.i18n.messages import N_
    from ui import kit

    error = UserError(N_("{name}: no such file.", name="sales.csv"))
    st.error(kit.md(error))


@pytest.mark.parametrize("lang, expected", [("zh-CN", "文件"), ("en", "no such file")])
def test_a_page_shows_a_marked_refusal_in_the_session_s_language(lang, expected):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_show_a_refusal)
    at.session_state["salesdesk_lang"] = lang
    at.run()
    assert not at.exception, at.exception
    shown = at.error[0].value
    assert "sales" in shown and expected in shown, shown
