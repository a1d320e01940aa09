"""``make i18n``: refresh the catalogues from the code and the dbt project.

    python -m models.i18n.tool            # write messages.pot, update every .po, docs/glossary.md
    python -m models.i18n.tool --check    # exit 1 when any of them is out of date

1. Extracts the msgids of ``t("...")``, ``nt(...)``, ``translate(lang, "...")`` and
   ``ntranslate(...)`` calls in app.py, pages/, ui/ and models/ (``source_scan.extract``);
   adds one entry per label code (``vocabulary.label_codes``: read from the dbt project's
   ``accepted_values``) and one per glossary term.
2. Writes ``locales/messages.pot`` and merges it into every ``locales/<lang>/LC_MESSAGES/
   messages.po`` (Babel's ``Catalog.update``: new entries come in empty, removed ones are kept
   as obsolete ``#~`` entries so no translation is lost). In the English catalogue a new
   sentence is filled with its msgid (English is the source language); labels and glossary
   terms are left for a person to write.
3. Writes docs/glossary.md from the catalogues.

The same as ``pybabel extract -k t -k nt:1,2 ... && pybabel update ...`` would do, plus the
labels and the glossary, which pybabel cannot see.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from models.i18n.catalogue import (
    DOMAIN,
    GLOSSARY_CONTEXT,
    LANGUAGES,
    LOCALES_DIR,
    locale_dir,
    po_path,
)
from models.i18n.source_scan import extract, python_files
from models.i18n.vocabulary import GLOSSARY_TERMS, KIND_NOTES, PROJECT_ROOT, label_codes

POT_PATH = LOCALES_DIR / f"{DOMAIN}.pot"
GLOSSARY_PATH = PROJECT_ROOT / "docs" / "glossary.md"
# Fixed header dates: the files change only when their entries do (no churn on every run).
HEADER_DATE = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def _new_catalog(lang: str | None) -> Catalog:
    return Catalog(locale=locale_dir(lang) if lang else None, domain=DOMAIN,
                   project="salesdesk", version="1", charset="utf-8",
                   creation_date=HEADER_DATE, revision_date=HEADER_DATE,
                   copyright_holder="salesdesk", msgid_bugs_address="", fuzzy=False)


def build_template(root: Path = PROJECT_ROOT) -> tuple[Catalog, list[str]]:
    """The template catalogue of the current code and dbt project, and extraction problems."""
    template = _new_catalog(None)
    problems: list[str] = []
    for path in python_files(root):
        if (root / "models" / "i18n") in path.parents:
            continue  # the translation functions themselves, not their callers
        relative = path.relative_to(root).as_posix()
        messages, found = extract(path.read_text(encoding="utf-8"), relative)
        problems += found
        for message in messages:
            msgid = (message.msgid, message.plural) if message.plural else message.msgid
            existing = template.get(message.msgid, context=message.context)
            if existing is not None:
                existing.locations.append((relative, None))
                continue
            template.add(msgid, locations=[(relative, None)], context=message.context,
                         flags=("python-brace-format",) if "{" in message.msgid else ())
    for kind, codes in label_codes().items():
        for code in codes:
            template.add(code, context=kind, auto_comments=[KIND_NOTES[kind]])
    for key, note in GLOSSARY_TERMS.items():
        template.add(key, context=GLOSSARY_CONTEXT, auto_comments=[note])
    return template, problems


def _render(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, include_lineno=False, ignore_obsolete=False)
    return buffer.getvalue()


def updated_catalog(lang: str, template: Catalog) -> Catalog:
    """``lang``'s catalogue merged with the template (new entries empty, English pre-filled)."""
    path = po_path(lang)
    if path.exists():
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=locale_dir(lang), domain=DOMAIN)
    else:
        catalog = _new_catalog(lang)
    catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
    catalog.revision_date = HEADER_DATE
    if lang == "en":
        for message in catalog:
            if message.id and message.context is None and not message.string:
                message.string = message.id
    return catalog


def render_glossary(catalogs: dict[str, Catalog]) -> str:
    """docs/glossary.md: the trade's words, then the label of every code, in each language."""
    def text(lang: str, context: str, msgid: str) -> str:
        message = catalogs[lang].get(msgid, context=context)
        value = message.string if message is not None and message.string else "(missing)"
        return value.replace("|", "\\|")

    lines = [
        "# Glossary: the trade's words in English and Chinese",
        "",
        "Generated by `make i18n` from the catalogues in `models/i18n/locales/` (edit the `.po`",
        "files, then run `make i18n`; tests/test_i18n.py fails when this file is stale). Every",
        "page, chart and export uses these words. Codes stay as they are in the lake and the",
        "marts; only their labels are translated (`models.i18n.label(kind, code, lang)`).",
        "",
        "## Terms",
        "",
        "| term | English | 中文 | use |",
        "| --- | --- | --- | --- |",
    ]
    for key, note in GLOSSARY_TERMS.items():
        lines.append(f"| {key} | {text('en', GLOSSARY_CONTEXT, key)} | "
                     f"{text('zh-CN', GLOSSARY_CONTEXT, key)} | {note} |")
    lines += ["", "## Labels of codes", ""]
    for kind, codes in label_codes().items():
        lines += [f"### {kind}", "", KIND_NOTES[kind], "", "| code | English | 中文 |",
                  "| --- | --- | --- |"]
        lines += [f"| `{code}` | {text('en', kind, code)} | {text('zh-CN', kind, code)} |"
                  for code in codes]
        lines.append("")
    return "\n".join(lines)


def planned_files(root: Path = PROJECT_ROOT) -> tuple[dict[Path, bytes], list[str]]:
    """Every file ``make i18n`` writes, with its new content, and the extraction problems."""
    template, problems = build_template(root)
    files = {POT_PATH: _render(template)}
    catalogs = {}
    for lang in LANGUAGES:
        catalogs[lang] = updated_catalog(lang, template)
        files[po_path(lang)] = _render(catalogs[lang])
    files[GLOSSARY_PATH] = render_glossary(catalogs).encode("utf-8")
    return files, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.i18n.tool",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a file is out of date")
    args = parser.parse_args(argv)
    files, problems = planned_files()
    for problem in problems:
        print(problem, file=sys.stderr)
    stale = [path for path, content in files.items()
             if not path.exists() or path.read_bytes() != content]
    if args.check:
        for path in stale:
            print(f"out of date: {path.relative_to(PROJECT_ROOT)} (run make i18n)", file=sys.stderr)
        return 1 if stale or problems else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[path])
        print(f"wrote {path.relative_to(PROJECT_ROOT)}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
