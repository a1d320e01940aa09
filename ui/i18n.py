"""The session's language and the text in it, for pages and the app shell.

Every user-facing string of a page goes through ``t("English sentence", **params)`` (never
``_``): the msgid is the English sentence, the catalogue (models/i18n/locales) has its
translation. The language of a session (``lang``): the one chosen in the sidebar's switch, else
the user's allow-list entry (``lang``), else the browser's (``st.context.locale``), else
``SALESDESK_LANG``, else English (``models.i18n.choose_lang``).
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

import streamlit as st

from models import i18n
from models.core import identity

# The catalogue's lookups under other names: make i18n extracts the literal msgids of calls
# named translate/ntranslate, and these two pass on a page's msgid.
_translate, _ntranslate = i18n.translate, i18n.ntranslate

LANG_KEY = "salesdesk_lang"   # the language chosen in the sidebar for this session
ENV = "SALESDESK_LANG"


def browser_locale() -> str | None:
    """The browser's language (``st.context.locale``; None without a browser, as in AppTest)."""
    try:
        value = st.context.locale
    except Exception:  # noqa: BLE001 - no request behind this run
        return None
    return value if isinstance(value, str) else None


def lang() -> str:
    """The language of this session's pages."""
    chosen = st.session_state.get(LANG_KEY)
    if chosen in i18n.LANGUAGES:
        return chosen
    user = identity.session_user(st.session_state)
    return i18n.choose_lang(getattr(user, "lang", None), browser_locale(), os.environ.get(ENV))


def t(msgid: str, /, **params: Any) -> str:
    """``msgid`` (an English sentence) in the session's language, placeholders filled."""
    return _translate(lang(), msgid, **params)


def nt(singular: str, plural: str, n: int, /, **params: Any) -> str:
    """Plural-aware ``t``: ``n`` picks the form and fills ``{n}``."""
    return _ntranslate(lang(), singular, plural, n, **params)


def label(kind: str, code: Any) -> str:
    """The label of a stable code (tier, lifecycle stage, channel ...) in this language."""
    return i18n.label(kind, code, lang())


def term(key: str) -> str:
    """One of the trade's words (docs/glossary.md) in the session's language."""
    return i18n.term(key, lang())


def money(value: Any, decimals: int = 2) -> str:
    """¥1,234.50 / -¥4.31."""
    return i18n.money(value, lang(), decimals=decimals)


def money_short(value: Any) -> str:
    return i18n.money_short(value, lang())


def number(value: Any, decimals: int = 0) -> str:
    return i18n.number(value, lang(), decimals=decimals)


def percent(ratio: Any, decimals: int = 1) -> str:
    return i18n.percent(ratio, lang(), decimals=decimals)


def month_label(value: date) -> str:
    return i18n.month_label(value, lang())


def day_label(value: date) -> str:
    return i18n.day_label(value, lang())


def language_switch() -> None:
    """The sidebar's language switch; the choice sticks for the session."""
    current = lang()
    chosen = st.selectbox(  # i18n: ignore (the switch's label is in both languages)
        "Language / 语言", i18n.LANGUAGES, index=i18n.LANGUAGES.index(current),
        format_func=lambda code: i18n.LANGUAGE_NAMES[code], key="salesdesk_lang_switch")
    if chosen != st.session_state.get(LANG_KEY, current):
        st.session_state[LANG_KEY] = chosen
        if chosen != current:
            st.rerun()
