"""Mapping files: how one source system's export becomes the raw data contract, as data.

A mapping is a small TOML file per source system (an ERP, a spreadsheet a team keeps). Settings
at the top apply to every entity; a table per entity (``[sales]``, ``[customers]``, ...) can
override them and says where each contract column comes from::

    delimiter = ";"              # , ; tab | (default: sniffed from the first lines)
    decimal_comma = true         # 1.234,56 (default: 1,234.56)
    encoding = "windows-1252"    # default: told from the bytes
    date_format = "%m/%d/%Y"     # strptime codes (default: YYYY-MM-DD and the like)
    timestamp_format = "%m/%d/%Y %H:%M"

    [sales]
    files = ["*Orders*"]         # file names of this entity (default: by the name's first word)
    [sales.columns]              # contract column = "source column"
    order_id = "Order No"
    sku = "Product ID"
    line_amount = "Amount"       # unit_price is then line_amount / quantity
    status = "Order Status"
    [sales.constants]            # contract column = a value for every row
    discount_rate = 0
    [sales.values.status]        # source value = contract value
    "Shipped" = "active"
    "Storniert" = "cancelled"
    [sales.derive]
    line_number = "row_in_order" # 1, 2, ... in file order within each order_id
    [[sales.exclude]]            # rows left out before the contract check, counted
    column = "Doc Type"
    values = ["Quote"]

Columns a mapping does not name are still matched by header
(``models.pipeline.contracts.COLUMN_ALIASES``).
``load`` checks a file and returns it as plain JSON (``entity_spec``), which travels to the
jailed ingest worker (``models.pipeline.ingest``), where it is applied before the contract check. A
mistake in the mapping itself is a ``UserError`` naming the mapping file, the entity and the key.
"""

from __future__ import annotations

import codecs
import datetime as dt
import fnmatch
import re
import tomllib
from pathlib import Path, PurePath

from models.core import settings
from models.core.errors import UserError
from models.pipeline.contracts import ENTITIES, SALES_STATUSES

SETTINGS = ("delimiter", "decimal_comma", "encoding", "date_format", "timestamp_format")
ENTITY_KEYS = ("files", "columns", "constants", "values", "derive", "exclude", *SETTINGS)
TOP_KEYS = ("name", "description", *SETTINGS)
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
DERIVATIONS = {("sales", "line_number"): "row_in_order"}
MAX_MAPPING_BYTES = 64 * 1024
SAVED_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def delimiter_label(delimiter: str) -> str:
    """'a semicolon (;)' for messages."""
    word = DELIMITERS.get(delimiter)
    shown = "\\t" if delimiter == "\t" else delimiter
    return f"a {word} ({shown})" if word else f"the character {delimiter!r}"


def _err(source: str, where: str, text: str) -> UserError:
    return UserError(f"Mapping {source}: {where}: {text}. Nothing was loaded.")


def _setting(source: str, where: str, key: str, value) -> object:
    """A setting's value, checked; ``where`` names the table ("top level", "[sales]")."""
    at = f"{where} {key}"
    if key == "delimiter":
        if isinstance(value, str) and value.lower() in ("tab", "\\t"):
            value = "\t"
        if not isinstance(value, str) or len(value) != 1 or value in "\"'\r\n":
            raise _err(source, at, f"{value!r} is not a delimiter; write one character: "
                                   f"\",\", \";\", \"|\" or \"tab\"")
        return value
    if key == "decimal_comma":
        if not isinstance(value, bool):
            raise _err(source, at, f"{value!r} is not true or false")
        return value
    if key == "encoding":
        try:
            return codecs.lookup(str(value)).name
        except LookupError:
            raise _err(source, at, f"unknown encoding {value!r}; name a Python codec such as "
                                   f"windows-1252, latin-1, utf-16-le or gb18030") from None
    if key in ("date_format", "timestamp_format"):
        if not isinstance(value, str) or "%" not in value:
            raise _err(source, at, f"{value!r} is not a date format; write it with strptime "
                                   f"codes, e.g. \"%m/%d/%Y\" for 3/14/2019")
        try:
            sample = dt.datetime(2019, 3, 14, 9, 5, 7)
            dt.datetime.strptime(sample.strftime(value), value)
        except ValueError as e:
            raise _err(source, at, f"{value!r} is not a date format Python can read ({e})"
                       ) from None
        return value
    raise AssertionError(key)


def _text(value) -> str:
    """A TOML constant as the text a source file would hold."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return str(value)


def parse(text: str, source: str) -> dict:
    """Check a mapping file's text; {entity: spec} plus the top-level settings under ``""``.
    ``source`` names the file in messages."""
    if len(text.encode("utf-8", errors="replace")) > MAX_MAPPING_BYTES:
        raise UserError(f"Mapping {source}: the file is over {MAX_MAPPING_BYTES // 1024} KB; a "
                        f"mapping is a few lines per entity. Nothing was loaded.")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"Mapping {source}: not valid TOML ({e}). Nothing was loaded.") from None
    top = {}
    entities: dict[str, dict] = {}
    for key, value in data.items():
        if key in ENTITIES:
            if not isinstance(value, dict):
                raise _err(source, f"[{key}]", "write it as a table ([" + key + "])")
            entities[key] = value
        elif key in SETTINGS:
            top[key] = _setting(source, "top level", key, value)
        elif key in ("name", "description"):
            top[key] = str(value)
        else:
            raise _err(source, f"top level key {key!r}",
                       f"neither an entity ({', '.join(ENTITIES)}) nor a setting "
                       f"({', '.join(TOP_KEYS)})")
    if not entities:
        raise UserError(f"Mapping {source}: names no entity; add a table such as [sales] with "
                        f"[sales.columns]. Nothing was loaded.")
    out: dict[str, dict] = {"": top}
    for entity, table in entities.items():
        out[entity] = _entity_spec(source, entity, table, top)
    return out


def _entity_spec(source: str, entity: str, table: dict, top: dict) -> dict:
    contract = ENTITIES[entity]
    names = contract.column_names
    spec: dict = {"mapping": source, "entity": entity, "columns": {}, "constants": {},
                  "values": {}, "derive": {}, "exclude": [], "files": []}
    spec.update({k: v for k, v in top.items() if k in SETTINGS})

    def column_key(section: str, key: str) -> str:
        if key not in names:
            raise _err(source, f"[{entity}.{section}] {key!r}",
                       f"not a {entity} column; the {entity} columns are {', '.join(names)}")
        return key

    for key, value in table.items():
        where = f"[{entity}]"
        if key in SETTINGS:
            spec[key] = _setting(source, where, key, value)
        elif key == "files":
            patterns = [value] if isinstance(value, str) else value
            if not isinstance(patterns, list) or not all(isinstance(p, str) and p
                                                         for p in patterns):
                raise _err(source, f"{where} files", "write file name patterns, e.g. "
                                                     "[\"*Orders*.csv\"]")
            spec["files"] = patterns
        elif key == "columns":
            if not isinstance(value, dict):
                raise _err(source, f"[{entity}.columns]", "write it as a table of "
                                                          "contract column = \"source column\"")
            for column, source_column in value.items():
                column_key("columns", column)
                if not isinstance(source_column, str) or not source_column.strip():
                    raise _err(source, f"[{entity}.columns] {column!r}",
                               f"{source_column!r} is not a column name; write the source "
                               f"file's header in quotes")
                spec["columns"][column] = source_column
        elif key == "constants":
            if not isinstance(value, dict):
                raise _err(source, f"[{entity}.constants]", "write it as a table of "
                                                            "contract column = value")
            for column, constant in value.items():
                column_key("constants", column)
                if isinstance(constant, (dict, list)):
                    raise _err(source, f"[{entity}.constants] {column!r}",
                               "a constant is one value (text, number, true/false or a date)")
                spec["constants"][column] = _text(constant)
        elif key == "values":
            if not isinstance(value, dict):
                raise _err(source, f"[{entity}.values]", "write a table per column, e.g. "
                                                         f"[{entity}.values.status]")
            for column, table_of_values in value.items():
                column_key("values", column)
                if not isinstance(table_of_values, dict) or not table_of_values:
                    raise _err(source, f"[{entity}.values.{column}]",
                               "write source value = contract value, e.g. \"Shipped\" = "
                               "\"active\"")
                mapped = {str(k): _text(v) for k, v in table_of_values.items()}
                if column == "status":
                    wrong = sorted({v for v in mapped.values() if v not in SALES_STATUSES})
                    if wrong:
                        raise _err(source, f"[{entity}.values.status]",
                                   f"{', '.join(map(repr, wrong))} is not a status; map each "
                                   f"value to {' or '.join(SALES_STATUSES)}")
                spec["values"][column] = mapped
        elif key == "derive":
            if not isinstance(value, dict):
                raise _err(source, f"[{entity}.derive]", "write it as a table")
            for column, how in value.items():
                column_key("derive", column)
                allowed = DERIVATIONS.get((entity, column))
                if allowed is None:
                    hint = (" (unit_price is derived by itself from line_amount and quantity "
                            "when the file has no unit price)" if column == "unit_price" else "")
                    raise _err(source, f"[{entity}.derive] {column!r}",
                               "cannot be derived; derivable: " + ", ".join(
                                   f"{e}.{c} = \"{h}\"" for (e, c), h in DERIVATIONS.items())
                               + hint)
                if how != allowed:
                    raise _err(source, f"[{entity}.derive] {column!r}",
                               f"{how!r} is not a derivation; write {column} = \"{allowed}\"")
                spec["derive"][column] = how
        elif key == "exclude":
            rules = value if isinstance(value, list) else [value]
            for i, rule in enumerate(rules, start=1):
                where_rule = f"[[{entity}.exclude]] number {i}"
                if not isinstance(rule, dict) or set(rule) != {"column", "values"} \
                        or not isinstance(rule["column"], str) \
                        or not isinstance(rule["values"], list) or not rule["values"]:
                    raise _err(source, where_rule, "write column = \"Source column\" and "
                                                   "values = [\"value\", ...]")
                spec["exclude"].append({"column": rule["column"],
                                        "values": [_text(v) for v in rule["values"]]})
        else:
            raise _err(source, f"[{entity}] key {key!r}",
                       f"not a mapping key; one of {', '.join(ENTITY_KEYS)}")
    twice = sorted(set(spec["columns"]) & set(spec["constants"])
                   | set(spec["columns"]) & set(spec["derive"])
                   | set(spec["constants"]) & set(spec["derive"]))
    if twice:
        raise _err(source, f"[{entity}] {twice[0]!r}", "comes from two places (columns, "
                                                       "constants, derive); keep one")
    return spec


def load(path: Path) -> dict:
    """Read and check a mapping file (see ``parse``)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise UserError(f"Mapping {path.name}: cannot be read ({e.strerror or e}).") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(f"Mapping {path.name}: not UTF-8 text; save it as UTF-8.") from None
    return parse(text, path.name)


def entity_for(mapping: dict | None, file_name: str) -> str | None:
    """The entity whose ``files`` patterns match ``file_name`` (case-insensitive), if any."""
    if not mapping:
        return None
    name = PurePath(file_name).name.lower()
    for entity, spec in mapping.items():
        if entity and any(fnmatch.fnmatch(name, p.lower()) for p in spec["files"]):
            return entity
    return None


def entity_spec(mapping: dict | None, entity: str) -> dict | None:
    """The plain-JSON spec of ``entity``: its own table, or the top-level settings alone (a
    mapping that only says delimiter and date format applies them to every entity)."""
    if not mapping:
        return None
    if entity in mapping:
        return mapping[entity]
    top = mapping.get("", {})
    settings_only = {k: v for k, v in top.items() if k in SETTINGS}
    if not settings_only:
        return None
    return {"mapping": next(iter(s["mapping"] for e, s in mapping.items() if e), ""),
            "entity": entity, "columns": {}, "constants": {}, "values": {}, "derive": {},
            "exclude": [], "files": [], **settings_only}


# --- saved mappings ($SALESDESK_HOME/mappings/<name>.toml) -----------------------------------

def mappings_dir(base: Path | None = None) -> Path:
    return (base or settings.home()) / "mappings"


def saved(base: Path | None = None) -> list[str]:
    """Names of the saved mappings, sorted."""
    folder = mappings_dir(base)
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.toml") if SAVED_NAME.match(p.stem))


def saved_path(name: str, base: Path | None = None) -> Path:
    if not SAVED_NAME.match(name or ""):
        raise UserError(f"Mapping name {name!r}: use letters, digits, '-' and '_' (up to 64), "
                        f"e.g. acme-erp.")
    return mappings_dir(base) / f"{name}.toml"


def save(name: str, text: str, base: Path | None = None) -> Path:
    """Check ``text`` and save it as the mapping ``name`` (replacing one of that name)."""
    path = saved_path(name, base)
    parse(text, path.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
