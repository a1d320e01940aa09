"""Hostile data: names and addresses that are spreadsheet formulas or Markdown stay text on the
pages (kit.md, kit.plot_text) and in every download (models/core/exports.py), on a demo lake
whose customers and products carry the attacks (tests/conftest.py: hostile_home)."""

from __future__ import annotations

import dataclasses
import io
import re

import icalendar
import openpyxl
import polars as pl
import pytest

from models.core import exports
from models.core.scoping import ALL_DATA
from models.core.warehouse import get_warehouse
from models.engines import planner
from models.queries import commissions
from ui import kit
from tests.apptest_util import DownloadRecorder
from tests.apptest_util import sql as warehouse_sql
from tests.conftest import FORMULA_NAMES, MARKDOWN_ADDRESS, MARKDOWN_NAME
from tests.test_page_sql import app

FORMULAS = [*FORMULA_NAMES, "\tx", "\rx"]
# Markdown that makes an image or a link: "![", "](" or "[" not preceded by a backslash
LIVE_MARKDOWN = re.compile(r"(?<!\\)(!\[|\]\(|\[)")


# --- the rules, as functions -----------------------------------------------------------------

def test_text_cells_that_start_like_a_formula_get_a_quote():
    frame = pl.DataFrame({"name": [*FORMULAS, "Shop 1", None, "-4.31"],
                          "amount": [-4.31] * (len(FORMULAS) + 3)})
    safe = exports.safe_frame(frame)
    assert safe["name"].to_list() == ["'" + f for f in FORMULAS] + ["Shop 1", None, "'-4.31"]
    assert safe["amount"].to_list() == frame["amount"].to_list()  # numbers stay numbers
    assert exports.neutralise("=1+1") == "'=1+1" and exports.neutralise(-4.31) == -4.31
    categorical = exports.safe_frame(frame.with_columns(pl.col("name").cast(pl.Categorical)))
    assert categorical["name"].to_list() == safe["name"].to_list()
    # a header is a cell too
    assert exports.safe_frame(pl.DataFrame({"=1+1": [1]})).columns == ["'=1+1"]


def test_the_csv_has_no_cell_starting_like_a_formula():
    frame = pl.DataFrame({"name": FORMULAS, "amount": [-4.31] * len(FORMULAS)})
    read = pl.read_csv(io.BytesIO(exports.csv_bytes(frame)[3:]))  # after the BOM
    assert read["name"].to_list() == ["'" + f for f in FORMULAS]
    assert read["amount"].to_list() == [-4.31] * len(FORMULAS)


def test_the_workbook_has_no_formula_and_no_link():
    frame = pl.DataFrame({"name": [*FORMULAS, "http://evil.example/pay"],
                          "amount": [-4.31] * (len(FORMULAS) + 1)})
    book = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes({"Sheet": frame})))
    cells = [c for row in book["Sheet"].iter_rows(min_row=2) for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert not [c.coordinate for c in cells if c.hyperlink is not None]
    names = [row[0].value for row in book["Sheet"].iter_rows(min_row=2)]
    assert all(n.startswith("'") for n in names[:len(FORMULAS)])
    assert names[-1] == "http://evil.example/pay"
    assert [row[1].value for row in book["Sheet"].iter_rows(min_row=2)] == [-4.31] * len(names)


def test_markdown_is_shown_as_typed():
    name = kit.md(MARKDOWN_NAME)
    assert name == (r"\!\[x\]\(http:" + "\u200b" + r"//127\.0\.0\.1:" + "\u200b"
                    + r"47999/pixel\.png\) Evil shop")
    assert not LIVE_MARKDOWN.search(name) and not LIVE_MARKDOWN.search(kit.md(MARKDOWN_ADDRESS))
    # colour and icon directives, emoji, LaTeX, HTML, headings and a second block
    text = kit.md(":red[big] :smile: :material/home: $x^2$ <img src=x>\n\n# Title\n- item")
    assert not re.search(r":[a-z]", text)  # every colon is followed by a zero-width space
    assert "\\$x^2\\$" in text and "\\<img src\\=x\\>" in text
    assert text.endswith("  \n\\# Title  \n\\- item")
    assert kit.md(None) == "–" and kit.md("Shop 12") == "Shop 12"


def test_plotly_text_is_escaped():
    link = "<a href='http://evil.example'>x</a> & co"
    escaped = "&lt;a href='http://evil.example'&gt;x&lt;/a&gt; &amp; co"
    assert kit.plot_text(link) == escaped
    assert kit.plot_text([link, 3, None]) == [escaped, 3, None]
    assert kit.plot_text(pl.Series([link, None])).to_list() == [escaped, None]


def test_sheet_names_excel_accepts():
    assert commissions.sheet_name("R0001", "'=1+1'") == "R0001 '=1+1"
    assert commissions.sheet_name("R0001", "a[b]:c*d?e/f\\g") == "R0001 a b  c d e f g"


# --- on the hostile lake ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def wh(hostile_home):
    return get_warehouse(hostile_home)


def _first_customer(home) -> tuple[str, str, str]:
    (customer_id, name, address), = warehouse_sql(
        home, "select customer_id, customer_name, address from dim_customers "
              "where customer_name = ?", [MARKDOWN_NAME])
    return customer_id, name, address


def _rendered(at) -> list[str]:
    """The bodies Streamlit renders as Markdown: headings, markdown, captions, alerts, metric
    labels and values, expander labels."""
    bodies = [e.value for kind in ("title", "header", "subheader", "markdown", "caption",
                                   "info", "warning", "error", "success") for e in at.get(kind)]
    bodies += [m.label for m in at.metric] + [m.value for m in at.metric]
    bodies += [e.label for e in at.expander]
    return bodies


def test_the_card_shows_a_markdown_name_and_address_as_text(monkeypatch, hostile_home):
    customer_id, name, address = _first_customer(hostile_home)
    assert (name, address) == (MARKDOWN_NAME, MARKDOWN_ADDRESS)  # the lake kept them
    at = app(monkeypatch, hostile_home)
    at.query_params["customer"] = customer_id
    at.switch_page("pages/customer.py").run()
    assert not at.exception, at.exception
    assert at.header[0].value == kit.md(f"{MARKDOWN_NAME} ({customer_id})")
    assert any(kit.md(MARKDOWN_ADDRESS) in m.value for m in at.markdown)
    live = [b for b in _rendered(at) if LIVE_MARKDOWN.search(b) or "http://" in b]
    assert not live


def test_the_route_files_keep_hostile_names_as_text(wh):
    reps = planner.reps(wh, ALL_DATA).sort(["due_visits", "rep_id"], descending=[True, False])
    week = planner.week_days(planner.as_of_date(wh, ALL_DATA))
    rp = planner.plan_route(wh, ALL_DATA, reps["rep_id"][0], week, time_limit_s=0.5)
    assert rp.visits.height > 0
    read = pl.read_csv(io.BytesIO(planner.to_csv(rp)[3:]), infer_schema=False)
    assert read["customer_name"].to_list() == [
        "'" + n if n[0] in "=+-@" else n for n in rp.visits["customer_name"]]
    # every hostile customer name but the Markdown one is a formula
    assert {n[0] for n in read["customer_name"] if n != MARKDOWN_NAME} == {"'"}

    script = "<script>alert(1)</script>"
    hostile = dataclasses.replace(rp, visits=rp.visits.with_columns(
        pl.lit(f"{script}\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:injected; a, b").alias(
            "customer_name"),
        pl.lit(MARKDOWN_ADDRESS + " <img src=http://evil.example/x.png>").alias("address")))
    page = planner.to_html(hostile)
    assert script not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    calendar = icalendar.Calendar.from_ical(planner.to_ics(hostile))
    events = calendar.walk("VEVENT")
    assert len(events) == rp.visits.height  # no event smuggled in
    summary = str(events[0]["summary"])  # the whole name, back as it was (lines as \n)
    assert script in summary and "END:VEVENT\nBEGIN:VEVENT\nSUMMARY:injected; a, b" in summary


def test_the_excel_statement_has_no_formula(monkeypatch, hostile_home, wh):
    recorder = DownloadRecorder(monkeypatch)
    at = app(monkeypatch, hostile_home)
    at.switch_page("pages/commissions.py").run()
    assert not at.exception, at.exception
    button = next(b for b in at.get("download_button")
                  if b.label == "Download statements (Excel)")
    book = openpyxl.load_workbook(io.BytesIO(recorder.data(button)))
    assert book.sheetnames[0] == "Statements" and len(book.sheetnames) > 1
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert not [f"{c.parent.title}!{c.coordinate}" for c in cells if c.data_type == "f"]
    names = [c.value for sheet in book.worksheets[1:] for c in sheet[1]]
    # the headers in the page's language (English here; the keys with the analysts' option)
    customer, product = names.index("Customer"), names.index("Product")
    lines = [row for sheet in book.worksheets[1:] for row in sheet.iter_rows(min_row=2,
                                                                              values_only=True)]
    assert lines
    for row in lines:
        assert row[customer][0] == "'" or not row[customer].startswith(tuple("=+-@"))
        assert row[product][0] == "'" and row[product][1:] in FORMULA_NAMES


def test_the_customer_table_download_is_neutralised(monkeypatch, hostile_home):
    recorder = DownloadRecorder(monkeypatch)
    at = app(monkeypatch, hostile_home)
    at.switch_page("pages/scoring.py").run()
    assert not at.exception, at.exception
    button = next(b for b in at.get("download_button") if "dl_scoring_tiers" in b.proto.id)
    table = pl.read_csv(io.BytesIO(recorder.data(button)[3:]), infer_schema=False)
    assert table.height > 0
    for name in table["customer_name"]:
        assert name == MARKDOWN_NAME or (name[0] == "'" and name[1:] in FORMULA_NAMES)


def test_the_sql_page_download_and_errors_are_text(monkeypatch, hostile_home):
    customer_id, _, _ = _first_customer(hostile_home)
    recorder = DownloadRecorder(monkeypatch)
    at = app(monkeypatch, hostile_home)
    at.switch_page("pages/sql.py").run()
    at.text_area(key="sql_text").input(
        "select customer_name, customer_name as \"=cmd\", credit_limit, -4.31 as minus "
        "from dim_customers order by customer_id limit 20")
    at.button[0].click().run()
    assert not at.exception and not at.error
    csv_button = next(b for b in at.get("download_button") if b.label == "Download CSV")
    data = recorder.data(csv_button)
    assert data == at.session_state["sql_files"][0][1]  # the file written when the query ran
    read = pl.read_csv(io.BytesIO(data[3:]), infer_schema=False)
    assert read.columns == ["customer_name", "'=cmd", "credit_limit", "minus"]
    assert read["customer_name"][0] == MARKDOWN_NAME
    assert all(n[0] == "'" and n[1:] in FORMULA_NAMES for n in read["customer_name"][1:])
    assert set(read["minus"]) == {"-4.31"}  # a number column stays a number

    # an error that quotes a value of the data shows it as text
    at.text_area(key="sql_text").input(
        f"select cast(customer_name as integer) from dim_customers "
        f"where customer_id = '{customer_id}'")
    at.button[0].click().run()
    assert not at.exception
    message = at.error[0].value
    assert "pixel" in message and not LIVE_MARKDOWN.search(message), message
