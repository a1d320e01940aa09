#!/usr/bin/env bash
# dbt-project-evaluator v1.3.2 (with dbt-utils 1.4.1) over a scratch copy of this dbt project,
# offline: the two packages are local folders outside the project (never in git, never in the
# project's packages.yml). `make evaluate` runs this; EVALUATOR.md says what it reports.
#   EVALUATOR_DIR  where the packages are (default /tmp/salesdesk-evaluator): fetched there with
#                  git once if absent, never again when present.
#   DBT            the dbt executable (default: the one next to the Python running make).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
dir="${EVALUATOR_DIR:-/tmp/salesdesk-evaluator}"
dbt="${DBT:-dbt}"
packages="$dir/packages"
mkdir -p "$packages"

fetch() {  # fetch NAME URL TAG: a shallow clone of one tag, only when the folder is absent
    if [ ! -f "$packages/$1/dbt_project.yml" ]; then
        git clone --quiet --depth 1 --branch "$3" "$2" "$packages/$1"
    fi
}
fetch dbt_project_evaluator https://github.com/dbt-labs/dbt-project-evaluator.git v1.3.2
fetch dbt_utils https://github.com/dbt-labs/dbt-utils.git 1.4.1

# the evaluator's own dependency, pointed at the local dbt-utils
printf 'packages:\n  - local: %s\n' "$packages/dbt_utils" > "$packages/dbt_project_evaluator/packages.yml"

# the scratch copy: the project's files, plus packages.yml, the dispatch order and the vars
scratch="$dir/project"
rm -rf "$scratch"
mkdir -p "$scratch"
cp -r "$here/models" "$here/macros" "$here/seeds" "$here/tests" "$here/dbt_project.yml" \
    "$here/profiles.yml" "$scratch/"
printf 'packages:\n  - local: %s\n  - local: %s\n' \
    "$packages/dbt_project_evaluator" "$packages/dbt_utils" > "$scratch/packages.yml"
python3 - "$scratch/dbt_project.yml" <<'PY'
import sys
import yaml
path = sys.argv[1]
project = yaml.safe_load(open(path, encoding="utf-8"))
project["dispatch"] = [{"macro_namespace": "dbt",
                        "search_order": ["salesdesk", "dbt_project_evaluator", "dbt"]}]
project["vars"]["dbt_project_evaluator"] = {
    # the project's compound-key test (tests/generic/unique_combination.sql) is a key test
    "primary_key_test_macros": [["dbt.test_unique", "dbt.test_not_null"],
                                ["salesdesk.test_unique_combination"]],
    # rpt_ models are page-shaped marts (house style), not "other"
    "marts_prefixes": ["fct_", "dim_", "rpt_"],
    "other_prefixes": [],
}
yaml.safe_dump(project, open(path, "w", encoding="utf-8"), sort_keys=False)
PY

mkdir -p "$dir/lake"
export SALESDESK_DB_PATH="$dir/evaluate.duckdb" SALESDESK_LAKE="$dir/lake" \
    DBT_PROFILES_DIR="$scratch"
rm -f "$SALESDESK_DB_PATH"
cd "$scratch"
"$dbt" deps --quiet
# findings are warnings of the evaluator's tests; --warn-error-options keeps them warnings
"$dbt" build --select package:dbt_project_evaluator --vars '{as_of_date: "2026-10-31"}' || true
python3 - "$SALESDESK_DB_PATH" <<'PY'
import sys
import duckdb
# rules that must report nothing (EVALUATOR.md); the coverage tables are summaries, not rules
REQUIRED = {"fct_staging_dependent_on_staging", "fct_rejoining_of_upstream_concepts",
            "fct_missing_primary_key_tests", "fct_model_directories"}
SUMMARIES = {"fct_documentation_coverage", "fct_test_coverage"}
con = duckdb.connect(sys.argv[1], read_only=True)
rules = [r[0] for r in con.execute(
    "select table_name from duckdb_tables() where starts_with(table_name, 'fct_') "
    "order by 1").fetchall() if r[0] not in SUMMARIES]
assert REQUIRED <= set(rules), f"rules not built: {sorted(REQUIRED - set(rules))}"
failed = []
for rule in rules:
    n = con.execute(f"select count(*) from {rule}").fetchone()[0]
    if n:
        print(f"{rule}: {n}{'  <- must be empty' if rule in REQUIRED else ''}")
        for row in con.execute(f"select * from {rule} limit 5").fetchall():
            print("   ", row)
        if rule in REQUIRED:
            failed.append(rule)
print(f"{len(rules)} rules; required and empty: {len(REQUIRED) - len(failed)} of {len(REQUIRED)}")
sys.exit(1 if failed else 0)
PY
