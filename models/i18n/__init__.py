"""The desk in English and Chinese: catalogue, labels of codes, number and date formats.

No streamlit here. Pages use ``t("...")`` from the page kit (which passes the session's
language to ``translate``); exports and the CLI call ``translate``/``label`` with a language.
See README "Languages" and docs/glossary.md.
"""

from models.i18n.catalogue import (
    DEFAULT_LANG,
    LANGUAGE_NAMES,
    LANGUAGES,
    Translator,
    choose_lang,
    label,
    match_lang,
    normalise_lang,
    ntranslate,
    placeholders,
    term,
    translate,
)
from models.i18n.formats import (
    MONEY_GRID,
    day_label,
    money,
    money_short,
    month_label,
    number,
    percent,
)

__all__ = [
    "DEFAULT_LANG", "LANGUAGE_NAMES", "LANGUAGES", "MONEY_GRID", "Translator",
    "choose_lang", "day_label", "label", "match_lang", "money", "money_short",
    "month_label", "normalise_lang", "ntranslate", "number", "percent", "placeholders", "term",
    "translate",
]
