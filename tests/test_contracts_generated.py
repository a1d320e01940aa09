"""The dbt project's copies of the lake contract are generated from models/pipeline/contracts.py.

The macro sales_lake_contract() and the sources YAML are rendered by models.pipeline.contract_files;
the committed files must be what it renders. The rejection rules are written once, in the
dbt_project.yml vars, and models/pipeline/contracts.py reads them from there.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import shutil

import pytest
import yaml

from models.core import settings
from models.engines import planner
from models.pipeline import cli, contract_files, contracts

GENERATED = [contract_files.MACRO_PATH, contract_files.SOURCES_PATH]


def test_committed_files_are_up_to_date():
    stale = contract_files.stale_files()
    assert not stale, ("Not what models/pipeline/contracts.py renders: " + ", ".join(stale)
                       + ". Run `salesdesk contracts --write` and commit the result.")


def test_generated_files_say_so():
    for rel in GENERATED:
        text = (settings.DBT_PROJECT_DIR / rel).read_text(encoding="utf-8")
        assert contract_files.GENERATED_NOTE in "\n".join(text.splitlines()[:2]), rel


def _macro_contract(text: str) -> dict:
    literal = re.search(r"\{\{ return\((\{.*?\})\) \}\}", text, re.S).group(1)
    return ast.literal_eval(literal)


def _with_changed_quantity(monkeypatch) -> None:
    """contracts.ENTITIES with sales.quantity a required 4-place decimal, newly described."""
    sales = contracts.ENTITIES["sales"]
    columns = tuple(
        dataclasses.replace(c, scale=4, description="Units ordered, to 4 places.")
        if c.name == "quantity" else c
        for c in sales.columns
    ) + (contracts.Column("channel_note", "text", required=True, description="A new column."),)
    changed = dict(contracts.ENTITIES)
    changed["sales"] = dataclasses.replace(sales, columns=columns)
    monkeypatch.setattr(contracts, "ENTITIES", changed)


def test_a_changed_contract_column_changes_the_rendered_files(monkeypatch):
    before_macro = contract_files.render_macro()
    before_sources = contract_files.render_sources()
    _with_changed_quantity(monkeypatch)
    macro = contract_files.render_macro()
    sources = contract_files.render_sources()
    assert macro != before_macro and sources != before_sources

    sales = _macro_contract(macro)["sales"]
    assert sales["columns"]["quantity"] == "decimal(18,4)"
    assert list(sales["columns"])[-1] == "channel_note"
    assert sales["required"][-1] == "channel_note"

    (source,) = yaml.safe_load(sources)["sources"]
    columns = {c["name"]: c for t in source["tables"] if t["name"] == "sales"
               for c in t["columns"]}
    assert columns["quantity"] == {"name": "quantity", "data_type": "decimal(18,4)",
                                   "description": "Required. Units ordered, to 4 places."}
    assert columns["channel_note"]["description"] == "Required. A new column."
    assert list(columns)[-3:] == list(contracts.LOAD_COLUMNS)

    assert contract_files.stale_files() == [f"dbt_project/{rel}" for rel in GENERATED]


def test_rendered_files_match_the_contract_and_parse():
    contract = _macro_contract(contract_files.render_macro())
    assert list(contract) == list(contracts.ENTITIES)
    for name, entity in contracts.ENTITIES.items():
        assert contract[name]["key"] == list(entity.key)
        assert contract[name]["required"] == list(entity.required)
        assert contract[name]["columns"] == {c.name: c.dbt_type for c in entity.columns}
    (source,) = yaml.safe_load(contract_files.render_sources())["sources"]
    assert [t["name"] for t in source["tables"]] == list(contracts.ENTITIES)
    for table in source["tables"]:
        assert all(c["description"] for c in table["columns"]), table["name"]


@pytest.fixture
def project_copy(tmp_path, monkeypatch):
    """A dbt_project/ folder holding copies of the two generated files."""
    project = tmp_path / "dbt_project"
    for rel in GENERATED:
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(settings.DBT_PROJECT_DIR / rel, project / rel)
    (project / "dbt_project.yml").write_text(
        (settings.DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"),
        encoding="utf-8")
    monkeypatch.setattr(settings, "DBT_PROJECT_DIR", project)
    return project


def test_cli_lists_stale_files_then_writes_them(project_copy, monkeypatch, capsys):
    assert cli.main(["contracts"]) == 0
    _with_changed_quantity(monkeypatch)

    assert cli.main(["contracts"]) == 1
    err = capsys.readouterr().err
    assert "run `salesdesk contracts --write`" in err
    for rel in GENERATED:
        assert f"dbt_project/{rel}" in err

    assert cli.main(["contracts", "--write"]) == 0
    out = capsys.readouterr().out
    assert out.count("wrote ") == 2
    assert "'quantity': 'decimal(18,4)'" in (project_copy / contract_files.MACRO_PATH).read_text()
    assert cli.main(["contracts"]) == 0


# --------------------------------------------------------------------------- rejection rules

def test_rejection_rules_are_read_from_the_dbt_project():
    project = yaml.safe_load((settings.DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    rules = project["vars"]["rejection_rules"]
    assert list(contracts.REJECTION_RULES.items()) == list(rules.items())
    assert list(contracts.REJECTION_RULES)[:2] == ["missing_required", "duplicate_key"]


# --------------------------------------------------------------------------- planner vars

def test_planner_reads_vars_from_the_parsed_project():
    project = yaml.safe_load((settings.DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    assert planner._dbt_var("churn_days", "x") == str(project["vars"]["churn_days"])
    assert planner._dbt_var("default_workday_start", "x") == "08:00"
    assert planner._dbt_var("no_such_var", "fallback") == "fallback"
    # as_of_date is null in the project: the default applies.
    assert planner._dbt_var("as_of_date", "fallback") == "fallback"


def test_planner_var_is_the_var_not_a_same_named_key_elsewhere(project_copy):
    # A line regex takes the first "churn_days:" line in the file, whatever mapping holds it.
    path = project_copy / "dbt_project.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\nvars:\n", "\nnotes:\n  churn_days: 7\n\nvars:\n", 1),
                    encoding="utf-8")
    assert yaml.safe_load(path.read_text())["notes"] == {"churn_days": 7}
    assert planner._dbt_var("churn_days", "x") == "90"
