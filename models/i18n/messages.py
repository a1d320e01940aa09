"""Sentences made where the reader's language is not known (ingest, build), shown later in it.

``N_("{name}: refused: the file is empty.", name=name)`` (gettext's name for "mark now,
translate later"; ``make i18n`` extracts its msgid like ``translate``'s) is a ``Text``: English
when turned into a string, any language through ``in_lang``. A ``UserError`` built from such
parts is shown in the reader's language by ``error_text``: the CLI reads the language from
``SALESDESK_LANG`` (``env_lang``), a page passes its session's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from models.i18n.catalogue import DEFAULT_LANG, normalise_lang, translate

ENV_LANG = "SALESDESK_LANG"


@dataclass(frozen=True)
class Text:
    """A catalogue sentence and its placeholder values, not yet in a language."""

    msgid: str
    params: dict[str, object] = field(default_factory=dict)

    def in_lang(self, lang: str) -> str:
        return translate(lang, self.msgid, **self.params)

    def __str__(self) -> str:
        return self.in_lang(DEFAULT_LANG)


def N_(msgid: str, /, **params: object) -> Text:  # noqa: N802 - gettext's conventional name
    """Mark ``msgid`` for the catalogue; the language is chosen when the text is shown."""
    return Text(msgid, dict(params))


# What separates the sentences of a message: a space in English, nothing in Chinese (whose full
# stop 。 is its own gap).
SENTENCE_GAP = {"zh-CN": ""}


def error_text(error: BaseException, lang: str) -> str:
    """The message of ``error`` in ``lang``: its marked parts translated, plain parts as they
    are (an error raised with one plain string reads as before)."""
    parts = getattr(error, "parts", None)
    if not parts:
        return str(error)
    texts = [p.in_lang(lang) if isinstance(p, Text) else str(p) for p in parts]
    gap = SENTENCE_GAP.get(lang, " ")
    out = texts[0]
    for text in texts[1:]:  # a plain (untranslated) part keeps its space
        out += (gap if gap == "" and _ends_cjk(out) else " ") + text
    return out


def _ends_cjk(text: str) -> bool:
    return bool(text) and text[-1] in "。？！）：；"


def env_lang() -> str:
    """The language of the command line: ``SALESDESK_LANG`` (any Chinese is zh-CN), else
    English."""
    return normalise_lang(os.environ.get(ENV_LANG))


def parts_to_json(parts: tuple[object, ...]) -> list:
    """An error's parts as plain JSON (a marked part as ``[msgid, params]``, any other as its
    text), to cross a process boundary by a JSON channel; ``parts_from_json`` undoes it."""
    return [[p.msgid, {k: v if isinstance(v, (str, int, float)) else str(v)
                       for k, v in p.params.items()}] if isinstance(p, Text) else str(p)
            for p in parts]


def parts_from_json(items: list) -> tuple[object, ...]:
    return tuple(Text(item[0], dict(item[1])) if isinstance(item, list) else str(item)
                 for item in items)
