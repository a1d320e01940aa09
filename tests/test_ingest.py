"""Ingest: formats, encodings, the file-level contract, idempotent loads."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter

from models.core.errors import UserError
from models.pipeline import ingest

CUSTOMERS_CSV = (
    "customer_id,name,maintainer_rep_id,opened_date,latitude,longitude,is_key_account,"
    "visit_window_start,credit_limit\n"
    "C1,Shop A,R1,2024-01-05,36.6,117.0,yes,8:30,\"12,000.50\"\n"
    "C2,店铺乙,R1,2024/02/05,,,0,,\n"
)


def lake_files(home: Path) -> list[Path]:
    lake = home / "lake"
    return sorted(p for p in lake.rglob("*") if p.is_file()) if lake.exists() else []


def read_lake(home: Path, entity: str) -> list[dict]:
    con = duckdb.connect()
    rel = con.sql(f"select * from read_parquet('{home}/lake/{entity}/*.parquet') "
                  "order by _load_id, _source_row")
    return [dict(zip(rel.columns, row)) for row in rel.fetchall()]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.mark.parametrize("encoding,bom", [("utf-8", False), ("utf-8", True), ("gb18030", False),
                                          ("gbk", False)])
def test_csv_encodings_load_the_same_values(tmp_path, home, encoding, bom):
    raw = CUSTOMERS_CSV.encode(encoding)
    if bom:
        raw = b"\xef\xbb\xbf" + raw
    path = tmp_path / "customers.csv"
    path.write_bytes(raw)
    result = ingest.ingest_file(path, base=home)
    assert result.status == "loaded" and result.rows == 2 and result.entity == "customers"
    rows = read_lake(home, "customers")
    assert [r["name"] for r in rows] == ["Shop A", "店铺乙"]
    first = rows[0]
    assert first["customer_id"] == "C1"  # no BOM glued to the first header
    assert first["opened_date"] == dt.date(2024, 1, 5)
    assert rows[1]["opened_date"] == dt.date(2024, 2, 5)
    assert first["is_key_account"] is True and rows[1]["is_key_account"] is False
    assert first["visit_window_start"] == "08:30"
    assert str(first["credit_limit"]) == "12000.50"
    assert first["_source_row"] == 2 and rows[1]["_source_row"] == 3
    assert first["channel"] is None  # absent optional column present and null
    assert rows[1]["latitude"] is None


def test_xlsx_with_foreign_headers(tmp_path, home):
    path = tmp_path / "orders_2026-10.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["订单号", "Line No", "Date", "客户编号", "SKU", "Qty", "单价", "Remark"])
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(1, 0, ["O1", 1])
    sheet.write_datetime(1, 2, dt.datetime(2026, 10, 3), date_format)
    sheet.write_row(1, 3, ["C1", "P1", 2, 12.5, "first"])
    sheet.write_row(2, 0, ["O1", 2, "2026-10-03", "C1", "P2", -1, 3, ""])
    book.close()
    result = ingest.ingest_file(path, base=home)
    assert result.entity == "sales" and result.rows == 2
    assert result.ignored_columns == ["Remark"]
    rows = read_lake(home, "sales")
    assert rows[0]["order_id"] == "O1" and rows[0]["line_number"] == 1
    assert rows[0]["order_date"] == dt.date(2026, 10, 3)
    assert str(rows[0]["unit_price"]) == "12.5000"
    assert str(rows[1]["quantity"]) == "-1.000"
    assert rows[1]["_source_row"] == 3


def test_parquet_with_native_types(tmp_path, home):
    table = pa.table({
        "visit_id": ["V1", "V2"], "rep_id": ["R1", "R1"], "customer_id": ["C1", "C2"],
        "started_at": pa.array([dt.datetime(2026, 1, 2, 9, 0), dt.datetime(2026, 1, 2, 10, 0)]),
        "relationship_level": pa.array([3, 4], pa.int32()),
    })
    path = tmp_path / "visits.parquet"
    pq.write_table(table, path)
    result = ingest.ingest_file(path, base=home)
    assert result.rows == 2
    rows = read_lake(home, "visits")
    assert rows[0]["started_at"] == dt.datetime(2026, 1, 2, 9, 0)
    assert rows[1]["relationship_level"] == 4 and rows[1]["_source_row"] == 2
    assert rows[0]["ended_at"] is None


def test_repeated_load_adds_nothing(tmp_path, home):
    path = tmp_path / "customers.csv"
    path.write_text(CUSTOMERS_CSV)
    first = ingest.ingest_file(path, base=home)
    files = lake_files(home)
    log = ingest.loads(home)
    again = ingest.ingest_file(path, base=home)
    assert again.status == "already loaded" and again.load_id == first.load_id
    assert lake_files(home) == files
    assert ingest.loads(home) == log


def refused(path: Path, home: Path, **kw) -> str:
    before = lake_files(home)
    with pytest.raises(UserError) as info:
        ingest.ingest_file(path, base=home, **kw)
    assert lake_files(home) == before, "a refused file must leave the lake untouched"
    return str(info.value)


def test_missing_required_column_is_refused(tmp_path, home):
    path = tmp_path / "customers.csv"
    path.write_text("customer_id,maintainer_rep_id\nC1,R1\n")
    message = refused(path, home)
    assert "customers.csv" in message and "missing required column(s) name" in message
    assert "Nothing was loaded" in message


def test_unparseable_date_is_refused_with_rows(tmp_path, home):
    path = tmp_path / "customers.csv"
    path.write_text("customer_id,name,maintainer_rep_id,opened_date\n"
                    "C1,A,R1,2024-01-01\nC2,B,R1,2024-13-45\nC3,C,R1,\nC4,D,R1,soon\n")
    message = refused(path, home)
    assert "opened_date" in message and "row 3 '2024-13-45'" in message
    assert "row 5 'soon'" in message and "2 value(s)" in message


def test_unparseable_number_is_refused(tmp_path, home):
    path = tmp_path / "products.csv"
    path.write_text("sku,name,unit_cost\nP1,A,1.5\nP2,B,abc\n")
    message = refused(path, home)
    assert "unit_cost" in message and "row 3 'abc'" in message


@pytest.mark.parametrize("content", [b"", b"customer_id,name,maintainer_rep_id\n"])
def test_empty_file_is_refused(tmp_path, home, content):
    path = tmp_path / "customers.csv"
    path.write_bytes(content)
    message = refused(path, home)
    assert "customers.csv" in message and ("empty" in message or "no data rows" in message)


def test_wrong_entity_is_refused(tmp_path, home):
    sales = tmp_path / "customers_export.csv"
    sales.write_text("order_id,line_number,order_date,customer_id,sku,quantity,unit_price\n"
                     "O1,1,2026-01-01,C1,P1,1,2\n")
    message = refused(sales, home)
    assert "missing required column" in message and "look like a sales file" in message
    unknown = tmp_path / "export.csv"
    unknown.write_text("a,b\n1,2\n")
    assert "cannot tell which entity" in refused(unknown, home)
    assert "missing required column(s) name" in refused(sales, home, entity="customers")


def test_undecodable_bytes_are_refused(tmp_path, home):
    path = tmp_path / "customers.csv"
    path.write_bytes(b"customer_id,name,maintainer_rep_id\nC1,\x81\x20\xff,R1\n")
    assert "neither UTF-8 nor GB18030" in refused(path, home)


def test_duplicate_meaning_columns_are_refused(tmp_path, home):
    path = tmp_path / "customers.csv"
    path.write_text("customer_id,cust_id,name,maintainer_rep_id\nC1,C1,A,R1\n")
    assert "both mean 'customer_id'" in refused(path, home)


def test_cli_exit_codes(tmp_path, home):
    good = tmp_path / "good" / "customers.csv"
    good.parent.mkdir()
    good.write_text(CUSTOMERS_CSV)
    bad = tmp_path / "bad" / "products.csv"
    bad.parent.mkdir()
    bad.write_text("sku,name\nP1,A\n")
    env = {"SALESDESK_HOME": str(home), "PATH": str(Path(sys.executable).parent)}
    salesdesk = str(Path(sys.executable).parent / "salesdesk")
    ok = subprocess.run([salesdesk, "ingest", str(good.parent)], env=env, capture_output=True,
                        text=True)
    assert ok.returncode == 0, ok.stderr
    assert "loaded as customers, 2 rows" in ok.stdout
    ko = subprocess.run([salesdesk, "ingest", str(bad)], env=env, capture_output=True, text=True)
    assert ko.returncode == 1
    assert "products.csv" in ko.stderr and "unit_cost" in ko.stderr
