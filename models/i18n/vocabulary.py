"""Which coded columns have translated labels, and the codes each may hold.

The codes are stable (they stay ASCII in the lake and the marts); only their labels are
translated. The dbt project states every code a column may hold in its ``accepted_values``
tests, so the vocabulary is read from there: a new code added to a model's YAML shows up in
``make i18n`` (as an entry to translate) and fails tests/test_i18n.py until it has a label in
every language.
"""

from __future__ import annotations

from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_DIR = PROJECT_ROOT / "dbt_project"

# label kind -> the columns (in any model or seed) whose accepted values are its codes.
LABEL_KINDS: dict[str, tuple[str, ...]] = {
    "tier": ("tier", "previous_tier", "policy_tier"),
    "tier_move": ("tier_move",),
    "tier_method": ("tier_method",),
    "lifecycle_stage": ("lifecycle_stage",),
    "quadrant": ("quadrant",),
    "alert_type": ("alert_type",),
    "severity": ("severity",),
    "channel": ("channel",),
    "visit_type": ("visit_type",),
    "purpose": ("purpose",),
    "outcome": ("outcome",),
    "relationship_level": ("relationship_level",),
    "rep_role": ("role",),
    "credit_role": ("credit_role", "account_role"),
    "house_reason": ("house_reason",),
    "no_commission_reason": ("no_commission_reason",),
    "price_band": ("price_band",),
    "score_dimension": ("dimension",),
    "rejection_rule": ("rule",),
    "entity": ("entity",),
    "grain": ("grain",),
}

# Coded columns a person never reads (bookkeeping inside the intermediate layer).
UNLABELLED_COLUMNS: frozenset[str] = frozenset({"effective_by"})

# Codes that live in Python rather than in a dbt model (kind -> codes).
PYTHON_CODES: dict[str, tuple[str, ...]] = {
    "access_role": ("admin", "analyst", "manager", "rep"),   # models.core.scoping.ROLES
}


def accepted_values(dbt_dir: Path = DBT_DIR) -> dict[str, list[str]]:
    """column name -> every code its ``accepted_values`` tests allow, across the dbt project.

    In the order the YAML first lists them (S, A, B, C rather than A, B, C, S).
    """
    found: dict[str, dict[str, None]] = {}
    for path in sorted(dbt_dir.glob("**/*.yml")):
        if any(part in ("target", "dbt_packages", "logs") for part in path.parts):
            continue
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            continue
        for section in ("models", "seeds", "sources", "snapshots"):
            for node in document.get(section) or ():
                if not isinstance(node, dict):
                    continue
                for column in node.get("columns") or ():
                    for test in column.get("data_tests") or column.get("tests") or ():
                        if isinstance(test, dict) and "accepted_values" in test:
                            spec = test["accepted_values"]
                            values = (spec.get("arguments") or spec).get("values") or ()
                            codes = found.setdefault(column["name"], {})
                            codes.update(dict.fromkeys(map(str, values)))
    return {name: list(codes) for name, codes in found.items()}


def label_codes(dbt_dir: Path = DBT_DIR) -> dict[str, list[str]]:
    """label kind -> its codes, from the dbt project and ``PYTHON_CODES``."""
    columns = accepted_values(dbt_dir)
    codes: dict[str, list[str]] = {}
    for kind, names in LABEL_KINDS.items():
        values: dict[str, None] = {}
        for name in names:
            values.update(dict.fromkeys(columns.get(name, ())))
        codes[kind] = list(values)
    codes.update({kind: list(values) for kind, values in PYTHON_CODES.items()})
    return codes

# What each label kind is, for the translator (a comment on every entry of the kind).
KIND_NOTES: dict[str, str] = {
    "tier": "Customer tier (ABC grading by average monthly revenue); S, A, B, C stay letters.",
    "tier_move": "How a customer's tier moved since the previous month.",
    "tier_method": "How tiers are assigned (the var tier_method).",
    "lifecycle_stage": ("Customer lifecycle stage as of a month (SPEC 5). prospect is 开发期 "
                        "(being developed, as by the 开发人), new 新客期 (first order within 3 "
                        "months); the visit-policy tier prospect is 潜在客户."),
    "quadrant": "Priority matrix quadrant: value (evaluation score) against service need.",
    "alert_type": "Customer alert raised for a manager or rep.",
    "severity": "How urgent an alert is.",
    "channel": "Customer channel (kind of outlet).",
    "visit_type": "How a visit was made.",
    "purpose": "Purpose of a visit.",
    "outcome": "Outcome of a visit.",
    "relationship_level": "Relationship with the customer's owner, 1 (acquainted) to 5 (trusted).",
    "rep_role": "A rep's role in the reps file.",
    "credit_role": "The role a rep is credited in on a commission line.",
    "house_reason": "Why a commission line goes to the house account.",
    "no_commission_reason": "Why a line earns no commission.",
    "price_band": "Product price band (sets the commission rate).",
    "score_dimension": "Dimension of the customer evaluation score (seed scoring_weights).",
    "rejection_rule": "The rule a raw row broke, so staging rejected it.",
    "entity": "A kind of raw file loaded into the lake.",
    "grain": "The period a contribution row covers.",
    "access_role": "A user's role in the desk's allow-list.",
}

# The trade's words (msgctxt "glossary"): key -> when to use it. The key is the English term;
# its Chinese is chosen once in the zh_CN catalogue and used by every page and export.
GLOSSARY_TERMS: dict[str, str] = {
    "customer tier": "The ABC grading of customers (客户分级); the tiers stay S, A, B, C.",
    "key account": "A customer flagged as key (is_key_account), graded S.",
    "contribution": "A customer's share of revenue or profit.",
    "net contribution": "Gross profit minus the cost to serve.",
    "cost to serve": "Visits times the cost per visit.",
    "horizontal index": "Revenue against the mean of peers in the same region and channel.",
    "month over month": "Change against the previous month.",
    "year over year": "Change against the same month of the previous year.",
    "growth contribution": "A customer's part of the company's revenue change.",
    "lifecycle": "The customer lifecycle (stages: see lifecycle_stage).",
    "evaluation score": "The weighted 0-100 customer score.",
    "priority": "Priority 1-4 from the priority matrix.",
    "priority matrix": "Value against service need, four quadrants.",
    "potential checklist": "Seven yes/no criteria for prospects and C customers.",
    "visit": "A rep's call on a customer, on site or by phone.",
    "visit policy": "How often each tier must be visited (seed visit_policy).",
    "visit compliance": "Required visits against visits done.",
    "visits due": "Customers whose next visit falls due.",
    "overdue": "Past its due date.",
    "check-in": "The location a rep records on arrival.",
    "route": "A rep's stops of one day.",
    "route sequence": "The order of the stops in a route.",
    "visit window": "When the customer's owner is there.",
    "commission": "What a rep earns on credited revenue.",
    "commission statement": "A rep's commission for one month.",
    "commission plan": "Rates and shares by effective date (seed commission_plan).",
    "developer": "The rep who opened the account.",
    "maintainer": "The rep who serves the account now.",
    "group purchase": "Group-buying or enterprise account, split between developer and maintainer.",
    "house account": "Where revenue of a rep who left is booked.",
    "clawback": "Commission taken back for a return.",
    "accelerator": "Higher rate on credited revenue above the quota.",
    "quota": "A rep's monthly sales target.",
    "collection": "Collecting payment from a customer.",
    "revenue": "Sales after discount.",
    "gross profit": "Revenue minus the cost of the goods.",
    "region": "A sales region (大区).",
    "district": "A district within a region.",
    "rep": "A field sales representative.",
    "sales manager": "A manager of reps in a region.",
    "prospect": "A customer visited but never ordered.",
    "rejected rows": "Raw rows staging set aside, with the rule they broke.",
    "load": "One file accepted into the lake.",
    "warehouse build": "One run of dbt that makes the tables the pages read.",
}
