"""``make i18n``: refresh the catalogues from the code and the dbt project.

    python -m models.i18n.tool            # write messages.pot, update every .po, docs/glossary.md
    python -m models.i18n.tool --check    # exit 1 when any of them is out of date

1. Extracts the msgids of ``t("...")``, ``nt(...)``, ``translate(lang, "...")`` and
   ``ntranslate(...)`` calls in app.py, pages/, ui/ and models/ (``source_scan.extract``);
   adds one entry per label code (``vocabulary.label_codes``: read from the dbt project's
   ``accepted_values``) and one per glossary term.
2. Splits the entries in domains: a sentence used in one page only goes to that page's domain
   (``pages/overview.py`` -> ``overview``), any other sentence to ``common``, the labels and the
   glossary to ``labels``; so people translating different pages edit different files.
3. Writes ``locales/<domain>.pot`` and merges each into ``locales/<lang>/LC_MESSAGES/
   <domain>.po`` (Babel's ``Catalog.update``). A new entry takes the translation it has in any
   other domain of the language (a sentence that moved from a page to ``common`` keeps its
   translation), else comes in empty; a removed one is kept as an obsolete ``#~`` entry so no
   translation is lost. In the English catalogue a new sentence is filled with its msgid
   (English is the source language); labels and glossary terms are left for a person to write.
4. Writes docs/glossary.md from the catalogues.

The same as ``pybabel extract -k t -k nt:1,2 ... && pybabel update ...`` would do, plus the
labels and the glossary, which pybabel cannot see.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from models.i18n.catalogue import (
    COMMON_DOMAIN,
    GLOSSARY_CONTEXT,
    LABELS_DOMAIN,
    LANGUAGES,
    LOCALES_DIR,
    locale_dir,
    po_path,
    po_paths,
    pot_path,
)
from models.i18n.source_scan import extract, python_files
from models.i18n.vocabulary import GLOSSARY_TERMS, KIND_NOTES, PROJECT_ROOT, label_codes

GLOSSARY_PATH = PROJECT_ROOT / "docs" / "glossary.md"
# Fixed header dates: the files change only when their entries do (no churn on every run).
HEADER_DATE = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def _new_catalog(lang: str | None, domain: str) -> Catalog:
    return Catalog(locale=locale_dir(lang) if lang else None, domain=domain,
                   project="salesdesk", version="1", charset="utf-8",
                   creation_date=HEADER_DATE, revision_date=HEADER_DATE,
                   copyright_holder="salesdesk", msgid_bugs_address="", fuzzy=False)


def domain_of(locations: list[str]) -> str:
    """The domain of a sentence used in ``locations`` (relative paths): the page's, when every
    use is in one file of pages/, else ``common``."""
    files = {location for location in locations}
    if len(files) == 1:
        (only,) = files
        parts = only.split("/")
        if len(parts) == 2 and parts[0] == "pages" and parts[1].endswith(".py"):
            return parts[1][:-3].lstrip("_") or COMMON_DOMAIN
    return COMMON_DOMAIN


def build_templates(root: Path = PROJECT_ROOT) -> tuple[dict[str, Catalog], list[str]]:
    """The template catalogue of each domain for the current code and dbt project, and the
    extraction problems."""
    found_in: dict[tuple[str | None, str], list[str]] = {}
    entries: dict[tuple[str | None, str], object] = {}
    problems: list[str] = []
    for path in python_files(root):
        if (root / "models" / "i18n") in path.parents:
            continue  # the translation functions themselves, not their callers
        relative = path.relative_to(root).as_posix()
        messages, found = extract(path.read_text(encoding="utf-8"), relative)
        problems += found
        for message in messages:
            key = (message.context, message.msgid)
            entries.setdefault(key, message)
            if relative not in found_in.setdefault(key, []):
                found_in[key].append(relative)
    templates: dict[str, Catalog] = {}

    def template(domain: str) -> Catalog:
        if domain not in templates:
            templates[domain] = _new_catalog(None, domain)
        return templates[domain]

    for key, message in entries.items():
        locations = found_in[key]
        msgid = (message.msgid, message.plural) if message.plural else message.msgid
        template(domain_of(locations)).add(
            msgid, locations=[(where, None) for where in locations], context=message.context,
            flags=("python-brace-format",) if "{" in message.msgid else ())
    labels = template(LABELS_DOMAIN)
    for kind, codes in label_codes().items():
        for code in codes:
            labels.add(code, context=kind, auto_comments=[KIND_NOTES[kind]])
    for key, note in GLOSSARY_TERMS.items():
        labels.add(key, context=GLOSSARY_CONTEXT, auto_comments=[note])
    return dict(sorted(templates.items())), problems


def _render(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, include_lineno=False, ignore_obsolete=False)
    return buffer.getvalue()


def _translations(lang: str) -> dict[tuple[str | None, object], object]:
    """Every translation of ``lang`` in its current files, obsolete ones too: (context, id) ->
    string."""
    pool: dict[tuple[str | None, object], object] = {}
    for path in po_paths(lang):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=locale_dir(lang), domain=path.stem)
        for message in [*catalog.obsolete.values(), *catalog]:
            if message.id and message.string and not message.fuzzy:
                key = (message.context, message.id if isinstance(message.id, str)
                       else tuple(message.id))
                pool.setdefault(key, message.string)
    return pool


def updated_catalog(lang: str, domain: str, template: Catalog,
                    pool: dict, current: set) -> Catalog:
    """``lang``'s catalogue of ``domain`` merged with the template: new entries take their
    translation from ``pool`` (the language's other files), else empty (English: the msgid);
    obsolete entries stay unless ``current`` (another domain) has them."""
    path = po_path(lang, domain)
    if path.exists():
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=locale_dir(lang), domain=domain)
    else:
        catalog = _new_catalog(lang, domain)
    # a copy: Catalog.update adds the template's own Message objects to the catalogue
    catalog.update(copy.deepcopy(template), no_fuzzy_matching=True, update_creation_date=False)
    catalog.revision_date = HEADER_DATE
    for key in [k for k, m in catalog.obsolete.items() if (m.context, _key(m.id)) in current]:
        del catalog.obsolete[key]
    for message in catalog:
        if not message.id or message.string and all(
                message.string if isinstance(message.string, (tuple, list))
                else (message.string,)):
            continue
        found = pool.get((message.context, _key(message.id)))
        if found:
            message.string = found
        elif lang == "en" and message.context is None and isinstance(message.id, str):
            message.string = message.id
    return catalog


def _key(msgid: object) -> object:
    return msgid if isinstance(msgid, str) else tuple(msgid)


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


def planned_files(root: Path = PROJECT_ROOT) -> tuple[dict[Path, bytes | None], list[str]]:
    """Every file ``make i18n`` writes, with its new content (None: the file goes), and the
    extraction problems."""
    templates, problems = build_templates(root)
    current = {(m.context, _key(m.id)) for t in templates.values() for m in t if m.id}
    files: dict[Path, bytes | None] = {}
    for old in LOCALES_DIR.glob("*.pot"):
        files[old] = None
    for domain, template in templates.items():
        files[pot_path(domain)] = _render(template)
    catalogs: dict[str, Catalog] = {}
    for lang in LANGUAGES:
        pool = _translations(lang)
        for old in po_paths(lang):
            if old.stem not in templates:
                files[old] = None
        merged = _new_catalog(lang, "all")
        for domain, template in templates.items():
            catalog = updated_catalog(lang, domain, template, pool, current)
            files[po_path(lang, domain)] = _render(catalog)
            for message in catalog:
                if message.id:
                    merged[message.id] = message
        catalogs[lang] = merged
    files[GLOSSARY_PATH] = render_glossary(catalogs).encode("utf-8")
    return files, problems


def stale_files(files: dict[Path, bytes | None]) -> list[Path]:
    return [path for path, content in files.items()
            if (content is None and path.exists())
            or (content is not None and (not path.exists() or path.read_bytes() != content))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.i18n.tool",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a file is out of date")
    args = parser.parse_args(argv)
    files, problems = planned_files()
    for problem in problems:
        print(problem, file=sys.stderr)
    stale = stale_files(files)
    if args.check:
        for path in stale:
            print(f"out of date: {path.relative_to(PROJECT_ROOT)} (run make i18n)", file=sys.stderr)
        return 1 if stale or problems else 0
    for path in stale:
        content = files[path]
        if content is None:
            path.unlink()
            print(f"removed {path.relative_to(PROJECT_ROOT)}")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        print(f"wrote {path.relative_to(PROJECT_ROOT)}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
