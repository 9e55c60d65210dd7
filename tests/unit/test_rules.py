"""Every rule in the registry: metadata, and fixtures that must fire and fixtures that must stay quiet.

Fixtures live in ``tests/data/rules/<rule-id>/fires/*.json`` and ``…/quiet/*.json`` (format below), named
after the case. A rule without both kinds of fixture fails the meta-test.

Fixture format (JSON object):
- ``description``: why this case fires or stays quiet (required);
- either ``trust`` (a trust policy: object, JSON string or URL-encoded string) with ``role_arn`` — run
  through `audit_trust_document` like `trustwatch check-trust` — or ``accounts`` (a list of
  get-account-authorization-details objects, one per account) with optional ``organization`` (the
  organization-file object) — run through `audit_inventory` like `trustwatch scan`;
- optional ``config`` (the configuration object, CONTRACTS.md §5);
- for ``fires``: ``expect``: ``{"count": N}`` plus optional ``severity``, ``principal``, ``role_arn``,
  ``statement`` that every finding of the rule must have, ``explanation_contains`` (a list of strings) and
  ``remediation_excludes`` (strings the fix must not ask for, such as a vendor's role name).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.config import parse_config
from chalicelib.iam.entities import Inventory
from chalicelib.iam.policy import parse_policy
from chalicelib.inventory.snapshot import parse_authorization_details, parse_organization
from chalicelib.rules.engine import AuditResult, audit_inventory, audit_trust_document
from chalicelib.rules.registry import RULES
from chalicelib.rules.settings import check_rule_settings

RULES_DATA = Path(__file__).resolve().parents[1] / "data" / "rules"
RULE_IDS = [rule.meta.id for rule in RULES]


def fixtures(kind: str) -> list[Any]:
    return [
        pytest.param(path, id=f"{path.parent.parent.name}/{path.stem}")
        for path in sorted(RULES_DATA.glob(f"*/{kind}/*.json"))
    ]


def run_fixture(path: Path) -> AuditResult:
    data = json.loads(path.read_text())
    assert data.get("description"), f"{path} needs a description"
    config = check_rule_settings(parse_config(data.get("config"), source=str(path)), source=str(path))
    if "accounts" in data:
        accounts = [parse_authorization_details(a, source=f"{path}[{i}]") for i, a in enumerate(data["accounts"])]
        org = parse_organization(data["organization"], source=str(path)) if "organization" in data else None
        return audit_inventory(Inventory(accounts, org), config)
    return audit_trust_document(parse_policy(data["trust"], source=str(path)), data["role_arn"], config)


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_rule_has_metadata(rule: Any) -> None:
    meta = rule.meta
    assert meta.id and meta.title and meta.summary
    assert "Risk:" in meta.doc and "Fix:" in meta.doc and "example" in meta.doc.lower(), meta.id


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_has_firing_and_quiet_fixtures(rule_id: str) -> None:
    assert list((RULES_DATA / rule_id / "fires").glob("*.json")), f"{rule_id} has no firing fixture"
    assert list((RULES_DATA / rule_id / "quiet").glob("*.json")), f"{rule_id} has no quiet fixture"


def test_rule_ids_are_unique_and_fixture_folders_name_rules() -> None:
    assert len(set(RULE_IDS)) == len(RULE_IDS)
    assert {p.name for p in RULES_DATA.iterdir() if p.is_dir()} <= set(RULE_IDS)


@pytest.mark.parametrize("path", fixtures("fires"))
def test_fixture_fires(path: Path) -> None:
    rule_id = path.parent.parent.name
    expect = json.loads(path.read_text())["expect"]
    found = [f for f in run_fixture(path).findings if f.rule_id == rule_id]
    assert len(found) == expect["count"], [f.explanation for f in found]
    for finding in found:
        for field in ("severity", "principal", "role_arn", "statement"):
            if field in expect:
                assert getattr(finding, field) == expect[field], (field, finding)
        for text in expect.get("explanation_contains", []):
            assert text in finding.explanation, (text, finding.explanation)
        for text in expect.get("remediation_excludes", []):
            assert text not in finding.remediation, (text, finding.remediation)
        assert finding.remediation and finding.explanation


@pytest.mark.parametrize("path", fixtures("quiet"))
def test_fixture_stays_quiet(path: Path) -> None:
    rule_id = path.parent.parent.name
    found = [f for f in run_fixture(path).findings if f.rule_id == rule_id]
    assert found == [], [f.explanation for f in found]
