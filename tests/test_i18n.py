"""The catalogue, the choice of language, the labels of codes and the formats (issue 16)."""

from __future__ import annotations

import csv
import datetime as dt
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from models.core import scoping
from models.i18n import (
    LANGUAGES,
    MONEY_GRID,
    Translator,
    choose_lang,
    day_label,
    label,
    money,
    money_short,
    month_label,
    normalise_lang,
    ntranslate,
    number,
    percent,
    placeholders,
    term,
    translate,
)
from models.i18n import tool
from models.i18n.catalogue import LOCALES_DIR, locale_dir, po_paths
from models.i18n.source_scan import python_files, untranslated
from models.i18n.vocabulary import (
    LABEL_KINDS,
    PYTHON_CODES,
    UNLABELLED_COLUMNS,
    accepted_values,
    label_codes,
)

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "dbt_project" / "seeds"


def _read(lang: str) -> list:
    """The entries of every domain's catalogue of ``lang``."""
    entries = []
    for path in po_paths(lang):
        with path.open("rb") as handle:
            entries += list(read_po(handle, locale=locale_dir(lang)))
    return entries


def _template() -> list:
    entries = []
    for path in sorted(LOCALES_DIR.glob("*.pot")):
        with path.open("rb") as handle:
            entries += list(read_po(handle))
    return entries


# --- the catalogues ----------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_catalogue_key_has_a_translation(lang):
    catalog = {(m.context, m.id if isinstance(m.id, str) else tuple(m.id)): m
               for m in _read(lang) if m.id}
    template = [m for m in _template() if m.id]
    assert len(template) > 100     # labels and glossary at least
    missing = []
    for entry in template:
        message = catalog.get((entry.context, entry.id if isinstance(entry.id, str)
                               else tuple(entry.id)))
        strings = message.string if message is not None else ""
        forms = strings if isinstance(strings, (tuple, list)) else (strings,)
        if message is None or message.fuzzy or not all(f.strip() for f in forms):
            missing.append((entry.context, entry.id))
    assert missing == [], f"{lang}: no translation for {missing}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_of_each_translation_match_its_msgid(lang):
    for message in _read(lang):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
        forms = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        expected = set().union(*(placeholders(i) for i in ids))
        assert "" not in expected, f"{ids[0]!r}: use named placeholders, not {{}}"
        for form in forms:
            assert placeholders(form) == expected, (lang, message.context, ids[0], form)


def test_catalogues_and_glossary_are_current():
    """Every .pot and .po and docs/glossary.md are what `make i18n` writes now."""
    files, problems = tool.planned_files()
    assert problems == []
    stale = [str(path.relative_to(ROOT)) for path in tool.stale_files(files)]
    assert stale == [], f"run make i18n: {stale} out of date"


def test_placeholders_reads_named_fields():
    assert placeholders("{count} customers in {region}, {{not one}}") == {"count", "region"}
    assert placeholders("{n:,} rows") == {"n"}
    with pytest.raises(ValueError):
        placeholders("a { brace")


# --- the translator on a catalogue written here -------------------------------------------------

PO_EN = r'''
msgid ""
msgstr ""
"Language: en\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"
"Content-Type: text/plain; charset=utf-8\n"

msgid "{rep} visited {customer}"
msgstr "{rep} visited {customer}"

msgid "{n} stop"
msgid_plural "{n} stops"
msgstr[0] "{n} stop"
msgstr[1] "{n} stops"

msgid "Only in English"
msgstr "Only in English"

msgctxt "quadrant"
msgid "quick_win"
msgstr "Quick win"
'''

PO_ZH = r'''
msgid ""
msgstr ""
"Language: zh_CN\n"
"Plural-Forms: nplurals=1; plural=0;\n"
"Content-Type: text/plain; charset=utf-8\n"

msgid "{rep} visited {customer}"
msgstr "{customer}已由{rep}拜访"

msgid "{n} stop"
msgid_plural "{n} stops"
msgstr[0] "{n} 个站点"

#, fuzzy
msgid "Only in English"
msgstr "模糊的译文"

msgctxt "quadrant"
msgid "quick_win"
msgstr "速赢"
'''


@pytest.fixture()
def translator(tmp_path):
    for folder, text in (("en", PO_EN), ("zh_CN", PO_ZH)):
        target = tmp_path / folder / "LC_MESSAGES"
        target.mkdir(parents=True)
        (target / "common.po").write_text(textwrap.dedent(text), encoding="utf-8")
    return Translator(tmp_path)


def test_placeholders_are_filled_after_the_lookup_in_the_translation_s_order(translator):
    text = translator.translate("zh-CN", "{rep} visited {customer}", rep="王强", customer="华联超市")
    assert text == "华联超市已由王强拜访"
    assert translator.translate("en", "{rep} visited {customer}", rep="Wang", customer="Hualian") \
        == "Wang visited Hualian"


def test_plural_forms_follow_each_language(translator):
    assert translator.ntranslate("en", "{n} stop", "{n} stops", 1) == "1 stop"
    assert translator.ntranslate("en", "{n} stop", "{n} stops", 3) == "3 stops"
    assert translator.ntranslate("zh-CN", "{n} stop", "{n} stops", 1) == "1 个站点"
    assert translator.ntranslate("zh-CN", "{n} stop", "{n} stops", 3) == "3 个站点"


def test_fuzzy_or_missing_falls_back_to_english_then_to_the_msgid(translator):
    assert translator.translate("zh-CN", "Only in English") == "Only in English"
    assert translator.translate("zh-CN", "Not in any catalogue") == "Not in any catalogue"
    assert translator.lookup("zh-TW", "quadrant", "quick_win") == "速赢"
    assert translator.lookup("fr", "quadrant", "quick_win") == "Quick win"


def test_the_project_catalogue_translates_labels_and_terms():
    assert label("lifecycle_stage", "growing", "zh-CN") == "成长期"
    assert label("lifecycle_stage", "growing", "en") == "Growing"
    assert label("quadrant", "quick_win", "zh") == "速赢"
    assert label("tier", "S", "zh-CN") == "S"                     # tiers stay letters
    assert label("relationship_level", 5, "zh-CN") == "5 信赖"      # codes may be numbers
    assert label("channel", None, "zh-CN") == ""
    assert label("channel", "not_a_channel", "zh-CN") == "not_a_channel"
    assert term("month over month", "zh-CN") == "环比"
    assert term("year over year", "zh-CN") == "同比"
    assert term("group purchase", "zh-CN") == "团购"
    assert translate("zh-CN", "Not in the catalogue {x}", x=1) == "Not in the catalogue 1"
    assert ntranslate("en", "{n} row", "{n} rows", 2) == "2 rows"


# --- labels for every code of the seeds and marts ----------------------------------------------

def _seed_column(seed: str, column: str) -> set[str]:
    with (SEEDS / f"{seed}.csv").open(encoding="utf-8", newline="") as handle:
        return {row[column] for row in csv.DictReader(handle)}


def test_every_coded_column_of_the_dbt_project_has_a_label_kind():
    labelled = {column for columns in LABEL_KINDS.values() for column in columns}
    coded = set(accepted_values())
    assert coded - labelled - UNLABELLED_COLUMNS == set(), \
        "a new coded column: add it to LABEL_KINDS (or UNLABELLED_COLUMNS) and run make i18n"
    assert labelled <= coded, "LABEL_KINDS names a column no model declares"


def test_the_vocabulary_holds_the_seeds_codes():
    codes = label_codes()
    assert _seed_column("visit_policy", "tier") <= set(codes["tier"])
    assert _seed_column("scoring_weights", "dimension") <= set(codes["score_dimension"])
    assert _seed_column("commission_plan", "price_band") <= set(codes["price_band"])
    assert set(PYTHON_CODES["access_role"]) == set(scoping.ROLES)
    assert codes["lifecycle_stage"] == ["prospect", "new", "growing", "mature", "declining",
                                        "churned"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_code_has_a_label_in_every_language(lang):
    catalogue = Translator().catalogue(lang)
    codes = label_codes()
    seeds = {"tier": _seed_column("visit_policy", "tier"),
             "score_dimension": _seed_column("scoring_weights", "dimension"),
             "price_band": _seed_column("commission_plan", "price_band")}
    missing = [(kind, code) for kind in codes
               for code in set(codes[kind]) | seeds.get(kind, set())
               if not catalogue.messages.get((kind, code))]
    assert missing == []
    assert sum(len(v) for v in codes.values()) > 90


def test_chinese_labels_are_chinese_except_tier_letters():
    catalogue = Translator().catalogue("zh-CN")
    for (kind, code), text in catalogue.messages.items():
        if kind and not (kind == "tier" and code in "SABC"):
            assert any("\u4e00" <= ch <= "\u9fff" for ch in text), (kind, code, text)


# --- choosing the language ---------------------------------------------------------------------

@pytest.mark.parametrize("value", ["zh", "zh-CN", "zh_CN", "zh-TW", "zh-Hans-CN", "ZH-hant",
                                   "zh-HK"])
def test_any_chinese_is_zh_cn(value):
    assert normalise_lang(value) == "zh-CN"


@pytest.mark.parametrize("value", ["fr", "de-DE", "", None, "en", "en-GB", "xx"])
def test_anything_else_is_english(value):
    assert normalise_lang(value) == "en"


def test_an_accept_language_list_gives_its_first_supported_entry():
    assert normalise_lang("fr-FR,zh;q=0.8,en;q=0.5") == "zh-CN"
    assert normalise_lang("en-US,zh-CN;q=0.9") == "en"


def test_choose_lang_order():
    assert choose_lang("zh-CN", "en-US", "en") == "zh-CN"          # allow-list first
    assert choose_lang("en", "zh-CN", "zh-CN") == "en"
    assert choose_lang(None, "zh-TW", "en") == "zh-CN"             # then the browser
    assert choose_lang("", "en-GB", "zh-CN") == "en"
    assert choose_lang(None, None, "zh-CN") == "zh-CN"             # then SALESDESK_LANG
    assert choose_lang(None, "de-DE", "zh-CN") == "zh-CN"          # an unsupported one gives way
    assert choose_lang(None, None, None) == "en"                   # else English
    assert choose_lang("fr", "de", "ja") == "en"


# --- formats -----------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
def test_money_puts_the_minus_before_the_sign(lang):
    assert money(1234.5, lang) == "¥1,234.50"
    assert money(-4.31, lang) == "-¥4.31"
    assert money(Decimal("-1234567.891"), lang) == "-¥1,234,567.89"
    assert money(2.675, lang) == "¥2.68"          # half up, as on an invoice
    assert money(-0.001, lang) == "¥0.00"         # no minus on a zero
    assert money(None, lang) == money(float("nan"), lang) == "—"


def test_money_short_in_chinese_uses_wan_and_yi():
    assert money_short(57829812.34, "zh-CN") == "¥5,782.98万"
    assert money_short(123456789, "zh-CN") == "¥1.23亿"
    assert money_short(-43100, "zh-CN") == "-¥4.31万"
    assert money_short(10000, "zh-CN") == "¥1.00万"
    assert money_short(9999.99, "zh-CN") == "¥9,999.99"
    assert money_short(9999.996, "zh-CN") == "¥1.00万"          # rounds up into 万
    assert money_short(99999999, "zh-CN") == "¥1.00亿"          # never ¥10,000.00万
    assert money_short(1234567890123, "zh-CN") == "¥12,345.68亿"


def test_money_short_in_english_uses_k_m_b():
    assert money_short(57829812.34, "en") == "¥57.83M"
    assert money_short(12345, "en") == "¥12.3K"
    assert money_short(999.99, "en") == "¥999.99"
    assert money_short(999950, "en") == "¥1.00M"
    assert money_short(-2500000000, "en") == "-¥2.50B"


def test_dates_and_numbers():
    day = dt.date(2026, 11, 30)
    assert month_label(day, "zh-CN") == "2026年11月"
    assert month_label(day, "en") == "Nov 2026"
    assert month_label(dt.datetime(2026, 1, 5, 9, 30), "zh-CN") == "2026年1月"
    assert day_label(day, "zh-CN") == "2026-11-30"
    assert day_label(day, "en") == "30 Nov 2026"
    assert day_label("2026-02-03", "en") == "3 Feb 2026"
    assert number(1234567, "zh-CN") == "1,234,567"
    assert number(-1234.56, "en", 1) == "-1,234.6"
    assert percent(0.1234, "zh-CN") == "12.3%"
    assert percent(-0.05, "en", 0) == "-5%"


def test_money_grid_options_are_the_yen_preset_with_two_decimals():
    # Streamlit writes "yen" with Intl.NumberFormat (JPY, narrow symbol: -¥4.31) and takes the
    # decimals from step (formats.py's docstring); a printf format would write ¥-4.31.
    assert MONEY_GRID == {"format": "yen", "step": 0.01}


# --- the lint: literal text handed to Streamlit without t(...) ---------------------------------

SAMPLE = '''
import streamlit as st
from ui import t

st.title("Commissions")                                   # 1 literal
st.title(t("Commissions"))
st.sidebar.selectbox("Region", regions, help=t("Pick one"))   # 2 literal label
st.metric(t("Revenue"), value, help="Sales after discount")  # 3 literal help
left, right = st.columns(2)
left.metric("Visits", 3)                                  # 4 container from st.columns
with st.expander(t("More")) as box:
    box.caption(f"Built at {when}")                       # 5 f-string
tabs = st.tabs(["Map", "Stops"])                          # 6, 7 list of labels
st.radio(t("View"), ["day", "week"], format_func=label)   # codes with format_func: fine
st.session_state.get("selected_rep")                      # a key, not text
st.Page("pages/overview.py", title="Overview")            # 8 title; the path is fine
st.markdown("<style>.x{}</style>", unsafe_allow_html=True)  # i18n: ignore
st.write("¥", 12)                                         # no letters
st.dataframe(df, column_config={"a": st.column_config.NumberColumn(label="Amount")})  # 9
other.title("Not Streamlit")
'''


def test_the_detector_finds_literals_given_to_streamlit():
    findings = untranslated(SAMPLE, "sample.py")
    texts = sorted(f.text for f in findings)
    assert texts == sorted(["Commissions", "Region", "Sales after discount", "Visits",
                            "Built at ", "Map", "Stops", "Overview", "Amount"])
    calls = {f.call for f in findings}
    assert calls >= {"st.title", "st.sidebar.selectbox", "left.metric", "box.caption"}


def test_pages_pass_no_user_facing_literal_to_streamlit():
    findings = [finding for path in python_files(ROOT, ("app.py", "pages", "ui"))
                for finding in untranslated(path.read_text(encoding="utf-8"),
                                            str(path.relative_to(ROOT)))]
    assert findings == [], "\n".join(map(str, findings[:50]))


def test_a_sentence_of_one_page_is_in_that_page_s_catalogue_else_in_common():
    assert tool.domain_of(["pages/overview.py"]) == "overview"
    assert tool.domain_of(["pages/overview.py", "pages/scoring.py"]) == "common"
    assert tool.domain_of(["app.py"]) == "common"
    assert tool.domain_of(["ui/kit.py"]) == "common"
