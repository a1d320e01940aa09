"""The exposures of dbt_project/ list exactly the marts each page reads.

What a page reads = the marts named in the source of the modules it queries through (the one
dict below: update it when a page starts using another module, or a module moves). The SQL page
reads a copy of every mart. Plain text, no build: a mart name in a module's source counts.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import yaml

from models.core import settings

# exposure name -> the modules whose queries the page runs (None: every mart, the SQL page)
PAGE_MODULES: dict[str, list[str] | None] = {
    "overview_page": ["models.queries.overview", "models.queries.attribution", "models.queries.visits", "models.queries.filters"],
    "customer_card_page": ["models.queries.customer_card", "models.engines.planner", "models.queries.visit_records",
                           "models.queries.filters"],
    "routes_page": ["models.engines.planner", "models.engines.routing", "models.queries.published_plans", "models.engines.geo"],
    "today_page": ["models.queries.today", "models.engines.planner", "models.queries.alert_tasks",
                   "models.queries.visit_records"],
    "scoring_page": ["models.queries.scoring", "models.queries.visits", "models.queries.filters"],
    "growth_page": ["models.queries.growth", "models.queries.attribution", "models.queries.filters"],
    "visits_page": ["models.queries.visits", "models.queries.filters"],
    "commissions_page": ["models.queries.commissions"],
    "data_page": ["models.queries.datadesk"],
    "sql_page": None,
}

MARTS_DIR = settings.DBT_PROJECT_DIR / "models" / "marts"
_REF = re.compile(r"ref\(\s*['\"]([a-z0-9_]+)['\"]\s*\)")


def all_marts() -> set[str]:
    return {p.stem for p in MARTS_DIR.rglob("*.sql")}


def exposures() -> dict[str, list[str]]:
    """{exposure name: the models of its depends_on, in file order} from the YAML files."""
    found: dict[str, list[str]] = {}
    for path in sorted(settings.DBT_PROJECT_DIR.joinpath("models").rglob("*.yml")):
        for exposure in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get(
                "exposures") or []:
            assert exposure["name"] not in found, f"exposure {exposure['name']} twice"
            found[exposure["name"]] = [_REF.fullmatch(d.strip()).group(1)
                                       for d in exposure.get("depends_on") or []]
    return found


def marts_named(module: str, marts: set[str]) -> set[str]:
    spec = importlib.util.find_spec(module)
    assert spec and spec.origin, f"no module {module}: update PAGE_MODULES"
    text = Path(spec.origin).read_text(encoding="utf-8")
    return set(re.findall(r"\b(" + "|".join(sorted(marts)) + r")\b", text))


def test_every_page_has_an_exposure_and_every_exposure_a_page():
    assert set(exposures()) == set(PAGE_MODULES)


def test_each_exposure_lists_exactly_the_marts_its_page_reads():
    marts = all_marts()
    found = exposures()
    wrong = {}
    for page, modules in PAGE_MODULES.items():
        read = marts if modules is None else set().union(
            *(marts_named(m, marts) for m in modules))
        listed = found[page]
        assert len(listed) == len(set(listed)), f"{page} lists a mart twice"
        if set(listed) != read:
            wrong[page] = {"missing": sorted(read - set(listed)),
                           "not read": sorted(set(listed) - read)}
    assert not wrong, wrong


def test_exposures_name_marts_only():
    marts = all_marts()
    for page, listed in exposures().items():
        assert set(listed) <= marts, (page, sorted(set(listed) - marts))


def test_the_scan_sees_a_mart_a_module_names():
    """The check could fail: the page modules name marts (the scan is not empty)."""
    marts = all_marts()
    assert "dim_reps" in marts_named("models.engines.planner", marts)
    assert marts_named("models.queries.datadesk", marts) == {"rpt_rejected_rows"}
