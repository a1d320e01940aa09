"""The message catalogue: which language, and the text in it.

The catalogues are gettext ``.po`` files beside this module (``locales/<dir>/LC_MESSAGES/
<domain>.po``), read with Babel's ``read_po`` when first needed and kept in a dict, so a fresh
clone works without a compile step and a translator edits plain-text files. A language's text is
split in domains (``make i18n`` decides, see models/i18n/tool.py): one per page for the sentences
only that page uses (``overview.po``), ``common.po`` for the rest and ``labels.po`` for the
labels of codes and the glossary; a language is the union of its domains.

Two kinds of entries:

- **User-facing text**: the msgid is the English sentence as written in the code
  (``t("Visits due")``); named ``{placeholders}`` are filled after the lookup, so a translation
  may put them in another order. The English catalogue holds the same sentences (a copy editor
  may change the wording there without touching code).
- **Labels of stable codes** (tier, lifecycle stage, quadrant, alert type, channel, ...): the
  msgctxt is the kind (``lifecycle_stage``), the msgid the code as stored in the marts
  (``growing``), the msgstr its label. ``label(kind, code, lang)`` reads them. The context
  ``glossary`` holds the trade's words (docs/glossary.md is generated from these entries).

A missing or fuzzy translation falls back to the English entry, then to the msgid itself: a
page never fails over a missing word, and tests/test_i18n.py fails instead.
"""

from __future__ import annotations

import gettext
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from babel.messages.pofile import read_po

LANGUAGES: tuple[str, ...] = ("en", "zh-CN")
DEFAULT_LANG = "en"
# What the sidebar switch shows for each language (each in its own script).
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "zh-CN": "简体中文"}

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
COMMON_DOMAIN = "common"   # sentences of the page kit, app.py, models/ and of several pages
LABELS_DOMAIN = "labels"   # the labels of codes and the glossary
GLOSSARY_CONTEXT = "glossary"


def locale_dir(lang: str) -> str:
    """The gettext folder name of a language tag: ``zh-CN`` -> ``zh_CN``."""
    return lang.replace("-", "_")


def po_path(lang: str, domain: str, locales_dir: Path = LOCALES_DIR) -> Path:
    return Path(locales_dir) / locale_dir(lang) / "LC_MESSAGES" / f"{domain}.po"


def po_paths(lang: str, locales_dir: Path = LOCALES_DIR) -> list[Path]:
    """Every domain's catalogue of ``lang``, by name."""
    return sorted((Path(locales_dir) / locale_dir(lang) / "LC_MESSAGES").glob("*.po"))


def pot_path(domain: str, locales_dir: Path = LOCALES_DIR) -> Path:
    return Path(locales_dir) / f"{domain}.pot"


# --- choosing the language --------------------------------------------------------------------

def match_lang(value: str | None) -> str | None:
    """The supported language a tag or an Accept-Language list asks for, or None.

    Any Chinese (``zh``, ``zh-TW``, ``zh-Hans-CN``, ``zh_CN``, ``Chinese``) is zh-CN, the only
    Chinese we have; any English is en. A list (``fr-FR,zh;q=0.8``) gives its first supported
    entry, in the order written.
    """
    if not value:
        return None
    for part in str(value).split(","):
        tag = part.split(";")[0].strip().lower().replace("_", "-")
        if not tag:
            continue
        primary = tag.split("-")[0]
        if primary in ("zh", "chinese", "中文", "cn"):
            return "zh-CN"
        if primary in ("en", "english"):
            return "en"
    return None


def normalise_lang(value: str | None) -> str:
    """A supported language for any tag: Chinese -> zh-CN, anything else (or nothing) -> en."""
    return match_lang(value) or DEFAULT_LANG


def choose_lang(allowlist_lang: str | None, browser_locale: str | None,
                env_lang: str | None) -> str:
    """The language of a session (issue 16's order).

    The user's allow-list entry (``lang``), else the browser's language (``st.context.locale``),
    else ``SALESDESK_LANG``, else English. A source that is empty or names a language we do not
    have (a French browser) gives way to the next one, so a Chinese deployment
    (``SALESDESK_LANG=zh-CN``) stays Chinese for a browser set to German, while a browser
    set to English gets English.
    """
    for value in (allowlist_lang, browser_locale, env_lang):
        lang = match_lang(value)
        if lang:
            return lang
    return DEFAULT_LANG


# --- the catalogues ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Catalogue:
    lang: str
    # (context, msgid) -> msgstr; plural entries (context, singular) -> (form0, form1, ...)
    messages: dict[tuple[str | None, str], str]
    plurals: dict[tuple[str | None, str], tuple[str, ...]]
    plural_index: Callable[[int], int]


def load_catalogue(paths: list[Path], lang: str) -> Catalogue:
    """Parse the ``.po`` files of a language into one catalogue; fuzzy and empty translations
    are left out (they fall back)."""
    messages: dict[tuple[str | None, str], str] = {}
    plurals: dict[tuple[str | None, str], tuple[str, ...]] = {}
    plural_expr = "(n != 1)"
    for path in paths:
        with path.open("rb") as handle:
            parsed = read_po(handle, locale=locale_dir(lang), domain=path.stem)
        plural_expr = parsed.plural_expr
        for message in parsed:
            if not message.id or message.fuzzy:
                continue
            if isinstance(message.id, (tuple, list)):
                forms = tuple(message.string or ())
                if forms and all(forms):
                    plurals[(message.context, message.id[0])] = forms
            elif message.string:
                messages[(message.context, message.id)] = message.string
    return Catalogue(lang, messages, plurals, gettext.c2py(plural_expr))


def _fill(text: str, params: dict[str, object]) -> str:
    # Always formatted, so a literal brace is written {{ }} in msgids and translations alike.
    return text.format_map(params)


class Translator:
    """The catalogues of one ``locales`` folder, each parsed once when first used."""

    def __init__(self, locales_dir: Path = LOCALES_DIR) -> None:
        self.locales_dir = Path(locales_dir)
        self._loaded: dict[str, Catalogue] = {}

    def catalogue(self, lang: str) -> Catalogue:
        lang = normalise_lang(lang)
        if lang not in self._loaded:
            self._loaded[lang] = load_catalogue(po_paths(lang, self.locales_dir), lang)
        return self._loaded[lang]

    def _chain(self, lang: str) -> list[Catalogue]:
        codes = dict.fromkeys((normalise_lang(lang), DEFAULT_LANG))
        return [self.catalogue(code) for code in codes]

    def lookup(self, lang: str, context: str | None, msgid: str) -> str:
        for cat in self._chain(lang):
            found = cat.messages.get((context, msgid))
            if found:
                return found
        return msgid

    def translate(self, lang: str, msgid: str, /, *, context: str | None = None,
                  **params: object) -> str:
        return _fill(self.lookup(lang, context, msgid), params)

    def ntranslate(self, lang: str, singular: str, plural: str, n: int, /, *,
                   context: str | None = None, **params: object) -> str:
        params = {"n": n, **params}
        for cat in self._chain(lang):
            forms = cat.plurals.get((context, singular))
            if forms:
                index = min(cat.plural_index(abs(int(n))), len(forms) - 1)
                return _fill(forms[index], params)
        return _fill(singular if abs(int(n)) == 1 else plural, params)


_DEFAULT = Translator()


def translate(lang: str, msgid: str, /, *, context: str | None = None, **params: object) -> str:
    """The text of ``msgid`` in ``lang``, with its ``{placeholders}`` filled from ``params``."""
    return _DEFAULT.translate(lang, msgid, context=context, **params)


def ntranslate(lang: str, singular: str, plural: str, n: int, /, *,
               context: str | None = None, **params: object) -> str:
    """Plural-aware ``translate``: ``n`` picks the form and is also the ``{n}`` placeholder."""
    return _DEFAULT.ntranslate(lang, singular, plural, n, context=context, **params)


def label(kind: str, code: object, lang: str) -> str:
    """The label of a stable code (tier, lifecycle stage, channel, ...) in ``lang``.

    A code with no entry shows as itself (never an error on a page; the tests fail instead).
    None shows as an empty string.
    """
    if code is None:
        return ""
    return _DEFAULT.lookup(lang, kind, str(code))


def term(key: str, lang: str) -> str:
    """One of the trade's words from the glossary: ``term("contribution", "zh-CN")`` -> 贡献度."""
    return label(GLOSSARY_CONTEXT, key, lang)


def placeholders(text: str) -> set[str]:
    """The ``{placeholders}`` of a message (raises ValueError on a malformed brace)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
