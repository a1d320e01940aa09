"""Ingest under hostile files and failures: each attempt gets one clear refusal naming the file,
loses nothing, crashes no process, and leaves the lake and its load records in agreement.

Small stand-ins where the real size would be slow: the limits are lowered through their
environment variables (``settings.ingest_limits``) instead of making gigabyte files.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from models.core import settings
from models.core.errors import UserError
from models.pipeline import ingest

CUSTOMERS = "customer_id,name,maintainer_rep_id,address\nC1,Shop A,R1,Main St 1\nC2,Shop B,R1,\n"
PYTHON = sys.executable


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def write(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def lake_state(home: Path) -> tuple[set, set, list[Path]]:
    """(lake files as (entity, load id), load records as (entity, load id), leftovers)."""
    lake = settings.lake_dir(home)
    files = {(p.parent.name, p.stem) for p in lake.glob("*/*.parquet")} if lake.exists() else set()
    records = {(r["entity"], r["load_id"]) for r in ingest.loads(home)}
    leftovers = [p for p in lake.rglob("*") if p.is_file() and not p.name.endswith(".parquet")
                 and p.name != "_load_log.jsonl"] if lake.exists() else []
    return files, records, leftovers


def refused(path: Path, home: Path, match: str, **kw) -> str:
    before = lake_state(home)
    with pytest.raises(UserError, match=match) as info:
        ingest.ingest_file(path, base=home, **kw)
    message = str(info.value)
    assert message.startswith(f"{path.name}: refused"), message
    assert lake_state(home) == before, "a refused file must leave the lake as it was"
    return message


# --- the jail: limits checked before the work, every failure one refusal --------------------

def xlsx_bomb(path: Path, inflated_mb: int) -> Path:
    """A real workbook whose sheet XML is padded (inside an XML comment) to ``inflated_mb``."""
    plain = io.BytesIO()
    book = xlsxwriter.Workbook(plain)
    sheet = book.add_worksheet()
    for r, row in enumerate([["customer_id", "name", "maintainer_rep_id"], ["C1", "A", "R1"]]):
        sheet.write_row(r, 0, row)
    book.close()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                pad = b"<!--" + b" " * (inflated_mb * 1024 * 1024) + b"-->"
                data = data.replace(b"<sheetData>", pad + b"<sheetData>", 1)
            out.writestr(item, data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def test_an_xlsx_bomb_is_refused_before_inflating_and_the_upload_folder_is_removed(
        tmp_path, home, monkeypatch):
    monkeypatch.setenv("SALESDESK_INGEST_MAX_UNPACKED_MB", "8")
    bomb = xlsx_bomb(tmp_path / "customers.xlsx", inflated_mb=40)
    assert bomb.stat().st_size < 1024 ** 2  # small on disk, 40 MB inflated
    message = refused(bomb, home, "unpacks to")
    assert "xl/worksheets/sheet1.xml" in message and "SALESDESK_INGEST_MAX_UNPACKED_MB" in message
    # the Data page's path: its private upload folder is gone afterwards
    with pytest.raises(UserError, match=r"^customers\.xlsx: refused: the workbook unpacks"):
        ingest.ingest_upload("customers.xlsx", bomb.read_bytes(), base=home)
    assert list(ingest.uploads_dir(home).iterdir()) == []
    # under the limit the same kind of workbook loads
    monkeypatch.setenv("SALESDESK_INGEST_MAX_UNPACKED_MB", "100")
    assert ingest.ingest_file(bomb, base=home).rows == 1


def test_an_upload_folder_left_by_a_dead_process_is_removed(tmp_path, home):
    dead = subprocess.run([PYTHON, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = ingest.uploads_dir(home) / f"{dead}-abc"
    stale.mkdir(parents=True)
    (stale / "customers.csv").write_text(CUSTOMERS)
    result = ingest.ingest_upload("customers.csv", CUSTOMERS.encode(), base=home)
    assert result.status == "loaded" and result.rows == 2
    assert list(ingest.uploads_dir(home).iterdir()) == []


def test_a_one_line_giant_is_refused_with_its_line(tmp_path, home, monkeypatch):
    monkeypatch.setenv("SALESDESK_INGEST_MAX_LINE_KB", "64")
    path = write(tmp_path, "customers.csv", CUSTOMERS + "C3," + "x" * 200_000 + ",R1,\n")
    message = refused(path, home, r"line 4 is longer than the 64 KB a line may have")
    assert "SALESDESK_INGEST_MAX_LINE_KB" in message


def test_too_many_columns_are_refused_before_parsing(tmp_path, home, monkeypatch):
    monkeypatch.setenv("SALESDESK_INGEST_MAX_COLUMNS", "100")
    header = "customer_id,name,maintainer_rep_id," + ",".join(f"c{i}" for i in range(1500))
    path = write(tmp_path, "customers.csv", header + "\n" + "C1,A,R1" + "," * 1500 + "\n")
    refused(path, home, r"the file has 1,503 columns, over the 100 a file may have")


def test_the_ignored_columns_kept_in_a_record_are_capped(tmp_path, home):
    header = "customer_id,name,maintainer_rep_id," + ",".join(f"c{i}" for i in range(300))
    path = write(tmp_path, "customers.csv", header + "\n" + "C1,A,R1" + ",x" * 300 + "\n")
    result = ingest.ingest_file(path, base=home)
    record = ingest.loads(home)[0]
    assert len(record["ignored_columns"]) == ingest.MAX_IGNORED_NAMES_KEPT + 1
    assert record["ignored_columns"][-1] == "... and 250 more" and result.rows == 1


def test_a_file_that_needs_more_memory_than_allowed_is_refused_and_the_next_goes_on(
        tmp_path, home, monkeypatch):
    monkeypatch.setenv("SALESDESK_INGEST_MEMORY_MB", "64")  # less than the reader itself needs
    path = write(tmp_path, "customers.csv", CUSTOMERS)
    message = refused(path, home, "memory")
    assert "SALESDESK_INGEST_MEMORY_MB" in message
    monkeypatch.delenv("SALESDESK_INGEST_MEMORY_MB")
    assert ingest.ingest_file(path, base=home).status == "loaded"


@pytest.mark.parametrize("header", ["_source_row", "_load_id", " _Loaded_At "])
def test_a_column_named_like_a_load_column_is_refused(tmp_path, home, header):
    path = write(tmp_path, "customers.csv",
                 f"customer_id,name,maintainer_rep_id,{header}\nC1,A,R1,7\n")
    refused(path, home, rf"column '{header}' has a name the lake keeps for its load columns")


def test_a_repeated_column_is_refused(tmp_path, home):
    path = write(tmp_path, "customers.csv", "customer_id,name,name,maintainer_rep_id\nC1,A,B,R1\n")
    refused(path, home, r"the column 'name' appears twice")


def test_the_cli_batch_goes_on_after_a_hostile_file(tmp_path, home):
    folder = tmp_path / "batch"
    folder.mkdir()
    write(folder, "customers_a.csv", "customer_id,name,maintainer_rep_id,_source_row\nC1,A,R1,1\n")
    write(folder, "customers_b.csv", CUSTOMERS.encode("utf-16-le"))  # UTF-16 without BOM
    write(folder, "customers_c.csv", CUSTOMERS)
    env = dict(os.environ, SALESDESK_HOME=str(home))
    run = subprocess.run([PYTHON, "-m", "models.pipeline.cli", "ingest", str(folder)], env=env,
                         capture_output=True, text=True, cwd=settings.PROJECT_ROOT)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "ERROR customers_a.csv: refused: column '_source_row'" in run.stderr
    assert "ERROR customers_b.csv: refused: it looks like UTF-16 text without a byte-order " \
           "mark" in run.stderr
    assert "customers_c.csv: loaded as customers, 2 rows" in run.stdout
    assert "Ingested 1 of 3 file(s)" in run.stdout
    # and named, the UTF-16 file loads
    run = subprocess.run([PYTHON, "-m", "models.pipeline.cli", "ingest", "--encoding", "utf-16-le",
                          str(folder / "customers_b.csv")], env=env, capture_output=True,
                         text=True, cwd=settings.PROJECT_ROOT)
    assert run.returncode == 0, run.stderr
    assert "customers_b.csv: loaded as customers, 2 rows" in run.stdout


def test_a_full_disk_during_ingest_is_one_clear_refusal(tmp_path, home):
    """The lake on a 64 KB tmpfs (a private mount namespace): the lake file does not fit."""
    if shutil.which("unshare") is None or subprocess.run(
            ["unshare", "-rm", "true"], capture_output=True).returncode != 0:
        pytest.skip("needs unshare (user and mount namespaces) for a small filesystem")
    rows = "\n".join(f"C{i},{hashlib.sha256(str(i).encode()).hexdigest()},R1,x"
                     for i in range(5000))
    path = write(tmp_path, "customers.csv", "customer_id,name,maintainer_rep_id,address\n"
                 + rows + "\n")
    lake = settings.lake_dir(home)
    lake.mkdir(parents=True)
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from models.pipeline import ingest
        from models.core.errors import UserError
        try:
            ingest.ingest_file(Path({str(path)!r}), base=Path({str(home)!r}))
        except UserError as e:
            print("REFUSED", e)
        print("LAKE", sorted(p.name for p in Path({str(lake)!r}).rglob("*") if p.is_file()))
    """)
    run = subprocess.run(
        ["unshare", "-rm", "sh", "-c",
         f"mount -t tmpfs -o size=64k tmpfs '{lake}' && exec '{PYTHON}' -c \"$0\"", script],
        capture_output=True, text=True, cwd=settings.PROJECT_ROOT)
    assert "Traceback" not in run.stderr, run.stderr
    assert "REFUSED customers.csv: refused: writing the lake file failed: the disk is full; " \
           "free some space and load it again. Nothing was loaded." in run.stdout, run.stdout
    assert "LAKE []" in run.stdout


def test_a_full_disk_while_the_load_log_is_rewritten_loses_nothing(tmp_path, home):
    lake = settings.lake_dir(home)
    lake.mkdir(parents=True)
    (lake / f"._load_log.jsonl.{os.getpid()}.tmp").symlink_to("/dev/full")
    result = ingest.ingest_file(write(tmp_path, "customers.csv", CUSTOMERS), base=home)
    assert result.status == "loaded"
    assert any("could not be rewritten" in note and "nothing is lost" in note
               for note in result.notes)
    files, records, _ = lake_state(home)
    assert files == records == {("customers", result.load_id)}
    assert ingest.loads(home)[0]["source_name"] == "customers.csv"
    assert ingest.loads(home)[0]["rows"] == 2


# --- atomic loads -----------------------------------------------------------------------------

@pytest.mark.parametrize("step", ["locked", "written", "renamed"])
def test_a_kill_at_any_step_leaves_the_lake_and_its_records_in_agreement(tmp_path, home, step):
    path = write(tmp_path, "customers.csv", CUSTOMERS)
    env = dict(os.environ, **{ingest.CRASH_ENV: step})
    run = subprocess.run(
        [PYTHON, "-c", f"from models.pipeline import ingest; from pathlib import Path; "
                       f"ingest.ingest_file(Path({str(path)!r}), base=Path({str(home)!r}))"],
        env=env, capture_output=True, text=True, cwd=settings.PROJECT_ROOT)
    assert run.returncode == 70, run.stderr  # ended at the step, as a kill would
    files, records, leftovers = lake_state(home)
    assert files == records  # whatever is in the lake is listed; nothing is listed that is not
    if step == "written":
        assert [p.name for p in leftovers] == [f".{ingest._content_hash(path)}.parquet.tmp"]
    notes = ingest.repair_lake(home)
    if step == "written":
        assert any("Removed an unfinished load of customers" in n for n in notes), notes
    if step == "renamed":  # loaded, but the derived log was never written
        assert any("was missing from the load log: listed again" in n for n in notes), notes
        assert ingest.repair_lake(home) == []  # repaired once, then quiet
    files, records, leftovers = lake_state(home)
    assert files == records and leftovers == []
    again = ingest.ingest_file(path, base=home)
    assert again.rows == 2
    assert again.status == ("already loaded" if step == "renamed" else "loaded")
    assert [r["rows"] for r in ingest.loads(home)] == [2]
    assert [r["source_name"] for r in ingest.loads(home)] == ["customers.csv"]


def test_an_empty_or_lost_load_log_does_not_empty_the_lake(tmp_path, home):
    path = write(tmp_path, "customers.csv", CUSTOMERS)
    loaded = ingest.ingest_file(path, base=home)
    ingest.load_log_path(home).unlink()
    assert [r["load_id"] for r in ingest.loads(home)] == [loaded.load_id]  # `prepare` sees it
    again = ingest.ingest_file(path, base=home)
    assert (again.status, again.rows) == ("already loaded", 2)


def test_a_lake_file_without_a_record_is_listed_from_its_contents_and_repaired(tmp_path, home):
    from tests.lakefiles import write_lake_file

    lake = settings.lake_dir(home)
    write_lake_file(lake, "customers", [{"customer_id": "C9", "name": "X",
                                         "maintainer_rep_id": "R1"}], load_id="abc123",
                    loaded_at="2026-01-02 03:04:05")
    (lake / "customers" / "broken.parquet").write_bytes(b"not parquet")
    records = ingest.loads(home)
    assert [(r["load_id"], r["rows"], r["loaded_at"]) for r in records] == \
        [("abc123", 1, "2026-01-02 03:04:05")]
    notes = ingest.repair_lake(home)
    assert any("broken.parquet is not readable Parquet" in n for n in notes)
    assert any("abc123.parquet (abc123.parquet (no load record), 1 rows) was missing" in n
               for n in notes)
    assert (lake / "customers" / "broken.parquet.unreadable").exists()
    assert ingest.repair_lake(home) == []


def test_two_ingests_of_the_same_bytes_at_once_load_once(tmp_path, home):
    path = write(tmp_path, "customers.csv", CUSTOMERS)
    results: list = []
    start = threading.Barrier(4)

    def run() -> None:
        start.wait()
        try:
            results.append(ingest.ingest_file(path, base=home))
        except BaseException as e:  # noqa: BLE001 - collected, asserted below
            results.append(e)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(r, ingest.LoadResult) for r in results), results
    assert sorted(r.status for r in results) == ["already loaded"] * 3 + ["loaded"]
    assert {r.rows for r in results} == {2}
    files, records, leftovers = lake_state(home)
    assert len(files) == 1 and files == records and leftovers == []
    assert len(ingest.load_log_path(home).read_text().splitlines()) == 1


# --- encodings --------------------------------------------------------------------------------

CHINESE = ("customer_id,name,maintainer_rep_id,address\n"
           "C1,张喆商行,R1,济南市历下区A栋101室\n"
           "C2,王堃烟酒店,R1,泉城路Amy喆便利店旁\n"
           "C3,店铺乙,R1,\n")
GERMAN = ("customer_id,name,maintainer_rep_id,address\n"
          "C1,Jürgen Müller,R1,Straße 5\n"
          "C2,Bäckerei Größer,R1,Hauptstraße 12\n")
FRENCH = ("customer_id,name,maintainer_rep_id,address\n"
          "C1,François Lefèvre,R1,Rue Lamartine\n"
          "C2,Hélène Côté,R1,Rue de l'Église\n")


def test_chinese_gb18030_text_is_accepted(tmp_path, home):
    result = ingest.ingest_file(write(tmp_path, "customers.csv", CHINESE.encode("gb18030")),
                                base=home)
    assert (result.status, result.encoding, result.rows) == ("loaded", "gb18030", 3)
    import duckdb

    names = duckdb.sql(f"select name, address from read_parquet('{result.lake_file}') "
                       "order by _source_row").fetchall()
    assert names[0] == ("张喆商行", "济南市历下区A栋101室") and names[1][1] == "泉城路Amy喆便利店旁"


@pytest.mark.parametrize("text,row,shown", [
    (GERMAN, 2, "C1,Jürgen Müller,R1,Straße 5"),     # decodes as GB18030: judged by its words
    ("\n".join(FRENCH.splitlines()[:2]) + "\n", 2, "C1,François Lefèvre,R1,Rue Lamartine"),
    (FRENCH, 3, "C2,Hélène Côté,R1,Rue de l'Église"),  # 'é,' is not GB18030: row 3 says so
])
def test_windows_1252_text_is_refused_with_the_encoding_to_name(tmp_path, home, text, row, shown):
    path = write(tmp_path, "customers.csv", text.encode("cp1252"))
    message = refused(path, home, "looks like Western European text in Windows-1252")
    assert f"row {row} reads {shown!r} that way" in message
    assert "--encoding windows-1252" in message
    result = ingest.ingest_file(path, base=home, encoding="windows-1252")
    assert result.encoding == "cp1252"
    import duckdb

    first = duckdb.sql(f"select name from read_parquet('{result.lake_file}') "
                       "order by _source_row").fetchall()[0][0]
    assert first == text.splitlines()[1].split(",")[1]


def test_the_german_bytes_really_decode_as_gb18030():
    """The case the heuristic exists for: no decoding error to fall back on."""
    assert GERMAN.encode("cp1252").decode("gb18030") != GERMAN


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_refused_and_loads_when_named(tmp_path, home, encoding):
    path = write(tmp_path, "customers.csv", CHINESE.encode(encoding))
    refused(path, home, rf"UTF-16 text without a byte-order mark .* --encoding {encoding}\.")
    assert ingest.ingest_file(path, base=home, encoding=encoding).rows == 3


def test_utf16_with_bom_loads(tmp_path, home):
    result = ingest.ingest_file(write(tmp_path, "customers.csv", CHINESE.encode("utf-16")),
                                base=home)
    assert (result.encoding, result.rows) == ("utf-16", 3)


def test_an_unknown_encoding_name_is_refused(tmp_path, home):
    path = write(tmp_path, "customers.csv", CUSTOMERS)
    with pytest.raises(UserError, match=r"customers\.csv: unknown encoding 'klingon'"):
        ingest.ingest_file(path, base=home, encoding="klingon")


def test_a_nul_byte_is_refused_not_a_panic(tmp_path, home):
    path = write(tmp_path, "customers.csv", CUSTOMERS.encode() + b"C3,\x00\x00\x00,R1,\n")
    refused(path, home, r"row 4 holds a NUL character")
