"""Exports shaped like real ERP files (tests/fixtures/erp/, written by hand) load with one
mapping file each and no code; the messages a user meets without a mapping name the fix."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from models.core import settings
from models.core.errors import UserError
from models.pipeline import build, cli, mappings
from models.pipeline.ingest import ingest_file, ingest_paths, ingest_upload, loads

ERP = Path(__file__).resolve().parent / "fixtures" / "erp"


def lake_rows(home: Path, entity: str, sql: str) -> list[tuple]:
    con = duckdb.connect()
    try:
        con.execute(f"create view t as select * from read_parquet("
                    f"'{settings.lake_dir(home) / entity}/*.parquet', union_by_name = true)")
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def erp_home(tmp_path_factory) -> tuple[Path, dict]:
    home = tmp_path_factory.mktemp("erp")
    us = ingest_paths([ERP / "us_erp"], base=home, mapping=mappings.load(ERP / "us_erp.toml"))
    eu = ingest_paths([ERP / "eu_erp"], base=home, mapping=mappings.load(ERP / "eu_erp.toml"))
    return home, {r.source_name: r for r in us + eu}


def test_each_export_loads_with_its_mapping(erp_home):
    home, results = erp_home
    assert {n: (r.entity, r.rows, r.excluded_rows) for n, r in results.items()} == {
        "Customers.csv": ("customers", 4, {}),
        "Reps.csv": ("reps", 3, {}),
        "Products.csv": ("products", 4, {}),
        "Orders.csv": ("sales", 10, {"status cancelled": 2}),
        "Auftraege_2016.csv": ("sales", 3, {"status cancelled": 2}),
    }
    assert "2 rows left out (status cancelled: 2)" in str(results["Orders.csv"])
    assert results["Orders.csv"].mapping == "us_erp.toml"
    assert results["Auftraege_2016.csv"].ignored_columns == ["Bemerkung"]


def test_us_dates_line_amounts_and_line_numbers(erp_home):
    home, _ = erp_home
    rows = lake_rows(home, "sales", "select order_id, line_number, order_date, quantity, "
                     "unit_price, line_amount, status from t where order_id like 'SO-%' "
                     "order by order_id, line_number")
    assert [r[0] for r in rows].count("SO-1003") == 0  # cancelled: not in the lake
    first = rows[0]
    assert first == ("SO-1001", 1, __import__("datetime").date(2015, 1, 15), Decimal("3.000"),
                     Decimal("118.3000"), Decimal("354.90"), "active")
    assert rows[1][:2] == ("SO-1001", 2)  # row order within the order
    # 37.00 / 3 rounded to the contract's 4 places; the return keeps its sign
    by_order = {r[0]: r for r in rows}
    assert by_order["SO-1010"][4] == Decimal("12.3333")
    assert by_order["SO-1009"][3:6] == (Decimal("-1.000"), Decimal("118.3000"),
                                        Decimal("-118.30"))
    customers = dict(lake_rows(home, "customers", "select customer_id, channel from t"))
    assert customers == {"C100": "supermarket", "C200": "hotel_restaurant", "C300": "Kiosk",
                         "C400": "Canteen"}


def test_semicolons_decimal_commas_and_windows_1252(erp_home):
    home, results = erp_home
    assert results["Auftraege_2016.csv"].encoding == "cp1252"
    rows = lake_rows(home, "sales", "select order_id, line_number, quantity, unit_price, "
                     "discount_rate from t where order_id like 'A-%' order by 1, 2")
    assert rows == [("A-77", 1, Decimal("2.000"), Decimal("59.9900"), Decimal("0.050000")),
                    ("A-77", 2, Decimal("1200.000"), Decimal("12.4500"), Decimal("0.000000")),
                    ("A-79", 1, Decimal("10.000"), Decimal("117.7700"), Decimal("0.100000"))]


def test_the_build_succeeds_and_revenue_is_the_exports_amounts(erp_home):
    home, _ = erp_home
    result = build.run_build(home)
    assert result.ok, result.failures
    assert result.status == "success_with_warnings"
    assert any(w.startswith("products: 1 of 4 rows rejected") for w in result.warnings)
    con = duckdb.connect(str(settings.current_link(home)), read_only=True)
    try:
        lines = con.execute(
            "select count(*), sum(revenue) from staging.stg_sales_lake__sales").fetchone()
        rejected = con.execute(
            "select entity, rule, count(*) from staging.stg_sales_lake__rejected_rows "
            "group by all order by 1").fetchall()
    finally:
        con.close()
    # 10 US lines (SO-1007 of the product without a cost rejected) + 3 EU lines
    us = Decimal("354.90") + Decimal("124.50") + Decimal("239.96") + Decimal("149.40") + \
        Decimal("59.99") + Decimal("118.00") + Decimal("588.85") - Decimal("118.30") + \
        Decimal("37.00")
    eu = Decimal("2") * Decimal("59.99") * Decimal("0.95") + Decimal("1200") * \
        Decimal("12.45") + Decimal("10") * Decimal("117.77") * Decimal("0.9")
    assert lines == (12, us + eu)
    assert rejected == [("products", "missing_required", 1), ("sales", "unknown_sku", 1)]


def test_same_file_under_another_mapping_is_another_load(tmp_path):
    mapping = mappings.load(ERP / "us_erp.toml")
    first = ingest_file(ERP / "us_erp" / "Reps.csv", base=tmp_path, mapping=mapping)
    again = ingest_file(ERP / "us_erp" / "Reps.csv", base=tmp_path, mapping=mapping)
    assert (first.status, again.status) == ("loaded", "already loaded")
    text = (ERP / "us_erp.toml").read_text().replace('role = "Title"\n', "")
    other = ingest_file(ERP / "us_erp" / "Reps.csv", base=tmp_path,
                        mapping=mappings.parse(text, "edited.toml"))
    assert other.status == "loaded" and other.load_id != first.load_id
    assert len(loads(tmp_path)) == 2


# --- what a user sees without a mapping ----------------------------------------------------

def test_us_dates_without_a_mapping_name_the_format(tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text("order_id,line_number,order_date,customer_id,sku,quantity,unit_price\n"
                    "O1,1,1/15/2015,C1,P1,1,10\nO2,1,3/14/2015,C1,P1,1,10\n")
    with pytest.raises(UserError) as e:
        ingest_file(path, base=tmp_path)
    assert str(e.value) == (
        "sales.csv: refused as sales: column order_date: 2 value(s) are not dates (YYYY-MM-DD): "
        "row 2 '1/15/2015', row 3 '3/14/2015' (these look like US dates (month/day/year): name "
        "the format in a mapping file, date_format = \"%m/%d/%Y\", and load with --mapping (on "
        "the Data page: Mapping)). Nothing was loaded.")


def test_semicolon_file_without_a_mapping_is_sniffed_and_names_the_decimal_comma(tmp_path):
    path = tmp_path / "sales.csv"
    path.write_bytes((ERP / "eu_erp" / "Auftraege_2016.csv").read_bytes())
    with pytest.raises(UserError) as e:
        ingest_file(path, base=tmp_path, encoding="windows-1252")
    message = str(e.value)
    assert message.startswith("sales.csv: refused as sales: missing required column(s) "
                              "order_id, line_number, order_date, customer_id, sku, quantity, "
                              "unit_price. Found columns: Auftrag, Pos, Datum, Kunde, Artikel")
    # with contract headers, the ; is sniffed and the decimal comma is named
    path.write_text("order_id;line_number;order_date;customer_id;sku;quantity;unit_price\n"
                    "O1;1;2016-03-05;C1;P1;2;59,99\n")
    with pytest.raises(UserError) as e:
        ingest_file(path, base=tmp_path)
    assert str(e.value) == (
        "sales.csv: refused as sales: column unit_price: 1 value(s) are not numbers: row 2 "
        "'59,99' (these look like numbers with a decimal comma: set decimal_comma = true in a "
        "mapping file and load with --mapping (on the Data page: Mapping)). Nothing was loaded.")


def test_more_fields_than_the_header_names_the_delimiter(tmp_path):
    path = tmp_path / "products.csv"
    path.write_text("sku,name,unit_cost\nP1,Tea,8,50\nP2,Rice,4\n")
    with pytest.raises(UserError) as e:
        ingest_file(path, base=tmp_path)
    assert str(e.value) == (
        "products.csv: refused: a row has more fields than the header (spreadsheet row 2: 4 "
        "fields, the header has 3) when split at a comma (,), the delimiter told from the first "
        "lines. Is that the file's delimiter? A value holding it must be in quotes (a decimal "
        "comma in a comma-separated file is the usual cause). Name the delimiter in a mapping "
        "file (delimiter = \";\", \",\", \"|\" or \"tab\") and load with --mapping (on the Data "
        "page: Mapping). Nothing was loaded.")


def test_missing_sku_suggests_product_id(tmp_path):
    with pytest.raises(UserError) as e:
        ingest_file(ERP / "us_erp" / "Products.csv", base=tmp_path)
    assert str(e.value) == (
        "Products.csv: refused as products: missing required column(s) sku, name, unit_cost. "
        "Found columns: Product ID, Description, Product Line, List Price, Standard Cost. Likely "
        "source columns: sku: 'Product ID'; name: 'Product Line'; unit_cost: "
        "'Standard Cost'. Name them in a mapping "
        "file ([products.columns] sku = \"Product ID\") and load with --mapping (on the Data "
        "page: Mapping). Nothing was loaded.")


def test_unknown_channels_are_loaded_with_a_warning(tmp_path):
    mapping = mappings.load(ERP / "us_erp.toml")
    result = ingest_file(ERP / "us_erp" / "Customers.csv", base=tmp_path, mapping=mapping)
    assert result.warnings == [
        "Customers.csv: 2 customer(s) have a channel the desk does not know: 'canteen' (1), "
        "'kiosk' (1). They are loaded and counted as 'other'. To keep them apart, map each to "
        "one of hotel_restaurant, retail_store, supermarket, liquor_tobacco_shop, enterprise, "
        "distributor, other in a mapping file ([customers.values.channel] \"canteen\" = "
        "\"retail_store\") and load the file again with --mapping."]
    assert "WARNING Customers.csv: 2 customer(s)" in str(result)


def test_a_status_the_mapping_does_not_explain_is_refused(tmp_path):
    text = (ERP / "us_erp.toml").read_text().replace('"Returned" = "active"\n', "")
    with pytest.raises(UserError) as e:
        ingest_file(ERP / "us_erp" / "Orders.csv", base=tmp_path,
                    mapping=mappings.parse(text, "us_erp.toml"))
    assert str(e.value) == (
        "Orders.csv: refused as sales: column status (column 'Order Status', 3 value(s) "
        "mapped) holds values other than active or cancelled: 'Returned' (1 row). Say what "
        "each means in a mapping file ([sales.values.status] \"Returned\" = \"active\" or "
        "\"cancelled\") and load with --mapping (on the Data page: Mapping). Nothing was loaded.")


def test_line_amount_and_unit_price_must_agree_within_a_cent(tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text("order_id,line_number,order_date,customer_id,sku,quantity,unit_price,"
                    "line_amount\nO1,1,2016-01-01,C1,P1,3,10.00,30.01\n"
                    "O2,1,2016-01-01,C1,P1,3,10.00,30.02\n")
    with pytest.raises(UserError) as e:
        ingest_file(path, base=tmp_path)
    assert str(e.value).startswith(
        "sales.csv: refused as sales: 1 row(s) where quantity x unit_price differs from "
        "line_amount by more than a cent: row 3 3.000 x 10.0000 <> 30.02.")


@pytest.mark.parametrize("text, message", [
    ("[sales.columns]\nskuu = 'Product ID'\n",
     "Mapping m.toml: [sales.columns] 'skuu': not a sales column; the sales columns are "
     "order_id, line_number, order_date, customer_id, sku, quantity, unit_price, "
     "discount_rate, rep_id, line_amount, status. Nothing was loaded."),
    ("date_format = 'MM/DD/YYYY'\n[sales]\n",
     "Mapping m.toml: top level date_format: 'MM/DD/YYYY' is not a date format; write it with "
     "strptime codes, e.g. \"%m/%d/%Y\" for 3/14/2019. Nothing was loaded."),
    ("[sales]\ndelimiter = ';;'\n",
     "Mapping m.toml: [sales] delimiter: ';;' is not a delimiter; write one character: \",\", "
     "\";\", \"|\" or \"tab\". Nothing was loaded."),
    ("[sales.values.status]\nShipped = 'done'\n",
     "Mapping m.toml: [sales.values.status]: 'done' is not a status; map each value to active "
     "or cancelled. Nothing was loaded."),
    ("[orders]\n", "Mapping m.toml: top level key 'orders': neither an entity (customers, "
     "reps, products, sales, visits, quotas, assessments) nor a setting (name, description, "
     "delimiter, decimal_comma, encoding, date_format, timestamp_format). Nothing was loaded."),
    ("[sales\n", None),
])
def test_a_wrong_mapping_file_names_the_file_entity_and_key(text, message):
    with pytest.raises(UserError) as e:
        mappings.parse(text, "m.toml")
    if message is None:
        assert str(e.value).startswith("Mapping m.toml: not valid TOML (")
    else:
        assert str(e.value) == message


def test_a_mapping_naming_a_column_the_file_lacks(tmp_path):
    text = (ERP / "us_erp.toml").read_text().replace('"Product ID"', '"Product Code"')
    with pytest.raises(UserError) as e:
        ingest_file(ERP / "us_erp" / "Products.csv", base=tmp_path,
                    mapping=mappings.parse(text, "us_erp.toml"))
    assert str(e.value).startswith(
        "Products.csv: refused: mapping us_erp.toml: [products.columns] sku = 'Product Code': "
        "the file has no column 'Product Code' (close: ")
    assert "'Product ID'" in str(e.value) and "Found columns: Product ID," in str(e.value)
    assert loads(tmp_path) == []


def test_preview_shows_mapped_rows_and_sources_and_loads_nothing(tmp_path):
    mapping = mappings.load(ERP / "us_erp.toml")
    preview = ingest_upload("Orders.csv", (ERP / "us_erp" / "Orders.csv").read_bytes(),
                            base=tmp_path, mapping=mapping, preview=True)
    assert (preview.entity, preview.rows, preview.excluded_rows) == ("sales", 10,
                                                                     {"status cancelled": 2})
    assert preview.sources["sku"] == "column 'Product ID'"
    assert preview.sources["unit_price"] == "line_amount / quantity, to 4 places"
    assert preview.sources["line_number"] == "row order within each order_id (1, 2, ...)"
    assert preview.sources["order_date"] == "column 'Order Date'"
    assert preview.sources["discount_rate"] == ""
    assert len(preview.first_rows) == 10 and preview.problem == ""
    assert preview.first_rows[0]["unit_price"] == "118.3000"
    assert preview.first_rows[0]["order_date"] == "2015-01-15"
    assert loads(tmp_path) == []


def test_saved_mappings(tmp_path):
    text = (ERP / "eu_erp.toml").read_text()
    mappings.save("eu-branch", text, tmp_path)
    assert mappings.saved(tmp_path) == ["eu-branch"]
    assert mappings.saved_path("eu-branch", tmp_path).read_text() == text
    with pytest.raises(UserError, match="Mapping eu-branch.toml: not valid TOML"):
        mappings.save("eu-branch", "[sales", tmp_path)
    with pytest.raises(UserError, match="use letters, digits"):
        mappings.save("../evil", text, tmp_path)


def test_cli_ingest_with_a_mapping(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SALESDESK_HOME", str(tmp_path))
    code = cli.main(["ingest", str(ERP / "eu_erp"), "--mapping", str(ERP / "eu_erp.toml")])
    out = capsys.readouterr().out
    assert code == 0
    assert ("Auftraege_2016.csv: loaded as sales, 3 rows" in out
            and "with mapping eu_erp.toml; 2 rows left out (status cancelled: 2)" in out)
    code = cli.main(["ingest", str(ERP / "eu_erp"), "--mapping", str(ERP / "missing.toml")])
    assert code == 2 and "Mapping missing.toml: cannot be read" in capsys.readouterr().err
