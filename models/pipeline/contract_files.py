"""The dbt project's copies of the lake contract, rendered from ``models/pipeline/contracts.py``.

Two files of ``dbt_project/`` restate the contract: the macro ``sales_lake_contract()`` (keys,
required columns, typed columns: what staging and run-start registration read) and the sources
YAML (the same columns, documented). Both are generated: ``salesdesk contracts --write`` writes
them, ``salesdesk contracts`` lists the ones that differ from what contracts.py renders.
"""

from __future__ import annotations

from pathlib import Path

from models.core import settings
from models.pipeline import contracts

GENERATED_NOTE = "Generated from models/pipeline/contracts.py by `salesdesk contracts --write`; do not edit by hand."

MACRO_PATH = "macros/sales_lake/sales_lake_contract.sql"
SOURCES_PATH = "models/staging/sales_lake/_sales_lake__sources.yml"

_MACRO_HEADER = f"""\
{{#-
    {GENERATED_NOTE}

    The lake contract as the dbt project knows it: the ONE place in dbt_project/ that lists
    each entity's key, required columns and contract columns with their types (types that
    DuckDB and Spark both accept). A macro rather than the sources YAML because it must be
    readable at parse time and inside dbt unit tests, where the graph has no sources. The
    sources YAML documents the same columns.
-#}}
"""

_MACRO_TAIL = """

{% macro sales_lake_entities() %}
    {#- Names of the lake entities, in contract order. -#}
    {{ return(sales_lake_contract().keys() | list) }}
{% endmacro %}


{% macro sales_lake_columns(entity, include_load_columns=true) %}
    {#- [{name, data_type}] of raw.<entity>: the contract columns, then the load columns. -#}
    {%- set contract = sales_lake_contract() -%}
    {%- if entity not in contract -%}
        {{ exceptions.raise_compiler_error("sales_lake has no entity " ~ entity) }}
    {%- endif -%}
    {%- set columns = [] -%}
    {%- for name, data_type in contract[entity]['columns'].items() -%}
        {%- do columns.append({'name': name, 'data_type': data_type}) -%}
    {%- endfor -%}
    {%- if include_load_columns -%}
        {%- for name, data_type in sales_lake_load_columns().items() -%}
            {%- do columns.append({'name': name, 'data_type': data_type}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(columns) }}
{% endmacro %}


{% macro sales_lake_key(entity) %}
    {#- The key columns of <entity>. -#}
    {{ return(sales_lake_contract()[entity]['key']) }}
{% endmacro %}


{% macro sales_lake_missing_required(entity) %}
    {#- True when a required column of <entity> is null (text is already trimmed to null). -#}
    ({{ sales_lake_contract()[entity]['required'] | join(' is null or ') }} is null)
{%- endmacro %}
"""

_SOURCES_HEADER = f"""\
# {GENERATED_NOTE}
# The raw data contracts (models/pipeline/contracts.py) as dbt sources: documentation of the lake
# columns. The relations raw.<entity> are created at run start by register_lake_sources() from
# macros/sales_lake/sales_lake_contract.sql (generated likewise), the one place the dbt project
# lists columns and types.
version: 2

sources:
  - name: sales_lake
    description: >
      The lake: one immutable Parquet file per accepted load under $SALESDESK_LAKE/<entity>/.
      Each entity is registered at run start as the view raw.<entity> over the files present
      then (a fixed snapshot for the build); an entity with no files is an empty typed view.
      Columns are the contract columns (models/pipeline/contracts.py), typed, plus three load columns.
    schema: raw
    tables:
"""


def _quoted(items) -> str:
    return "[" + ", ".join(f"'{item}'" for item in items) + "]"


def _yaml_string(text: str) -> str:
    """A double-quoted YAML scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_macro(entities: dict[str, contracts.Entity] | None = None) -> str:
    """The text of dbt_project/macros/sales_lake/sales_lake_contract.sql."""
    entities = contracts.ENTITIES if entities is None else entities
    lines = ["{% macro sales_lake_contract() %}", "    {{ return({"]
    for entity in entities.values():
        lines += [
            f"        '{entity.name}': {{",
            f"            'key': {_quoted(entity.key)},",
            f"            'required': {_quoted(entity.required)},",
            "            'columns': {",
            *(f"                '{c.name}': '{c.dbt_type}'," for c in entity.columns),
            "            },",
            "        },",
        ]
    load = ", ".join(f"'{c.name}': '{c.dbt_type}'" for c in contracts.LOAD_COLUMN_DEFS)
    lines += [
        "    }) }}",
        "{% endmacro %}",
        "",
        "",
        "{% macro sales_lake_load_columns() %}",
        "    {#- The three columns every lake file carries besides the contract columns. -#}",
        f"    {{{{ return({{{load}}}) }}}}",
        "{% endmacro %}",
        "",
    ]
    return _MACRO_HEADER + "\n" + "\n".join(lines) + _MACRO_TAIL


def _column_lines(column: contracts.Column) -> list[str]:
    description = ("Required. " if column.required else "") + column.description
    return [
        f"          - name: {column.name}",
        f"            description: {_yaml_string(description)}",
        f"            data_type: {column.dbt_type}",
    ]


def render_sources(entities: dict[str, contracts.Entity] | None = None) -> str:
    """The text of dbt_project/models/staging/sales_lake/_sales_lake__sources.yml."""
    entities = contracts.ENTITIES if entities is None else entities
    lines = []
    for entity in entities.values():
        description = f"{entity.description} Key: {', '.join(entity.key)}."
        if entity.optional:
            description += " Optional entity: may have no files."
        lines += [f"      - name: {entity.name}",
                  f"        description: {_yaml_string(description)}",
                  "        columns:"]
        for column in entity.columns + contracts.LOAD_COLUMN_DEFS:
            lines += _column_lines(column)
    return _SOURCES_HEADER + "\n".join(lines) + "\n"


def rendered(entities: dict[str, contracts.Entity] | None = None) -> dict[str, str]:
    """Each generated file (path relative to dbt_project/) and the text it should have."""
    return {MACRO_PATH: render_macro(entities), SOURCES_PATH: render_sources(entities)}


def stale_files(project_dir: Path | None = None) -> list[str]:
    """The generated files (paths relative to the repository) that differ from contracts.py."""
    project_dir = project_dir or settings.DBT_PROJECT_DIR
    stale = []
    for rel, text in rendered().items():
        path = project_dir / rel
        try:
            current = path.read_text(encoding="utf-8")
        except OSError:
            current = None
        if current != text:
            stale.append(f"{project_dir.name}/{rel}")
    return stale


def write_files(project_dir: Path | None = None) -> list[str]:
    """Write the generated files that differ; the ones written (paths as in stale_files)."""
    project_dir = project_dir or settings.DBT_PROJECT_DIR
    written = stale_files(project_dir)
    for rel, text in rendered().items():
        if f"{project_dir.name}/{rel}" in written:
            (project_dir / rel).write_text(text, encoding="utf-8")
    return written
