"""The project's own rules over what it deploys (issue 9 #9). The packaged template of each stage, deployed as
stack trustwatch-<stage> in the auditor account, and deploy/audit-role.yaml in a member account are read by
chalicelib.templates (what ``trustwatch check-template`` reads) into one inventory of the organization, then
audited by the rules engine, broad-assume-permission included, and walked by the reachability graph.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from chalicelib.config import Config
from chalicelib.iam.entities import Inventory, Organization
from chalicelib.iam.graph import build_graph
from chalicelib.rules.engine import audit_inventory
from chalicelib.rules.findings import Severity
from chalicelib.templates import error_records, inventory_of
from chalicelib.templates.cloudformation import extract
from chalicelib.templates.loader import load
from tests.integration.packaged import ACCOUNT, ORG_ID, PARTITION, REGION, Packaged
from tests.integration.test_package import FUNCTIONS, READING_ACCOUNTS

AUDIT_ROLE_TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "audit-role.yaml"
MEMBER = "444455556666"
AUDIT_ROLE = f"arn:aws:iam::{MEMBER}:role/TrustwatchAudit"
ACCEPTED = Severity.INFO  # the most an audit of the auditor's own permissions may report


def audit_role_template(parameters: dict[str, str]) -> Any:
    """deploy/audit-role.yaml with ``parameters`` given, as the member account's stack would take them."""
    data = load(AUDIT_ROLE_TEMPLATE, "deploy/audit-role.yaml")
    for name, value in parameters.items():
        data["Parameters"][name]["Default"] = value
    return data


def deployment(
    auditor_template: dict[str, Any], stack: str, tmp_path: Path, **parameters: str
) -> tuple[Inventory, list[Any]]:
    """The auditor's stack and a member account's audit role in one organization, and what was not readable."""
    sam = tmp_path / "sam.json"  # read back as check-template reads it (with the lines it reports)
    sam.write_text(json.dumps(auditor_template, indent=2))
    auditor = extract(load(sam, "sam.json"), "sam.json", ACCOUNT, PARTITION, region=REGION)
    given = {"AuditorAccountId": ACCOUNT, "AuditorStackName": stack} | parameters
    member = extract(audit_role_template(given), "deploy/audit-role.yaml", MEMBER, PARTITION, region=REGION)
    accounts = [*inventory_of(auditor).accounts.values(), *inventory_of(member).accounts.values()]
    organization = Organization(org_id=ORG_ID, management_account_id=ACCOUNT, account_ids=frozenset({ACCOUNT, MEMBER}))
    return Inventory(accounts, organization), [*error_records(auditor), *error_records(member)]


def without_the_organization_condition(template: dict[str, Any]) -> dict[str, Any]:
    """``template`` with the account readers' sts:AssumeRole unconditioned (as it was before issue 9 #9)."""
    result = copy.deepcopy(template)
    for function in READING_ACCOUNTS:
        (policy,) = result["Resources"][f"{function}Role"]["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]:
            if statement["Action"] == ["sts:AssumeRole"]:
                del statement["Condition"]
    return result


def config() -> Config:
    return Config.model_validate({"trusted_accounts": {ACCOUNT: "the auditor", MEMBER: "a member"}})


def test_the_projects_rules_find_nothing_above_the_accepted_level_in_what_it_deploys(
    packaged: Packaged, tmp_path: Path
) -> None:
    # GIVEN the auditor's stack and the audit role as deployed, read by chalicelib.templates
    inventory, unreadable = deployment(packaged.deployed(), packaged.stack, tmp_path)
    assert unreadable == []  # every statement was resolved and evaluated
    # WHEN the rules of `scan` audit them
    result = audit_inventory(inventory, config())
    # THEN they find nothing above the accepted level, in the eight roles
    assert result.roles == len(FUNCTIONS) + 1
    assert [(f.rule_id, f.severity, f.explanation) for f in result.findings if f.severity.rank > ACCEPTED.rank] == []


def test_the_rules_do_flag_an_audit_role_grant_without_the_organization_condition(
    packaged: Packaged, tmp_path: Path
) -> None:
    # GIVEN the same stack with the condition removed from the account readers' sts:AssumeRole (what it was)
    inventory, _ = deployment(without_the_organization_condition(packaged.deployed()), packaged.stack, tmp_path)
    # THEN broad-assume-permission fires for each of them: the test above would see it
    found = audit_inventory(inventory, config()).findings
    flagged = [f for f in found if f.rule_id == "broad-assume-permission"]
    assert len(flagged) == len(READING_ACCOUNTS), flagged


def test_only_the_stacks_account_readers_can_assume_the_audit_role(packaged: Packaged, tmp_path: Path) -> None:
    # GIVEN the deployment, with another role of the auditor account named like the functions, holding the same
    # permission to assume the audit role (what `role/trustwatch-*` in the trust admitted). The trust is what is
    # checked here: the evaluator does not derive aws:ResourceOrgID from the inventory's organization, so the
    # identity side goes without its organization condition (test_package_permissions.py decides that one).
    template = without_the_organization_condition(packaged.deployed())
    other = copy.deepcopy(template["Resources"]["RescanRole"])
    other["Properties"]["RoleName"] = "trustwatch-other-rescan"
    template["Resources"]["OtherRescanRole"] = other
    inventory, _ = deployment(template, packaged.stack, tmp_path)
    # WHEN the graph is asked who can assume the member account's audit role
    reaches = build_graph(inventory).who_can_assume(AUDIT_ROLE, max_depth=1)
    # THEN exactly the account-reading functions' roles of this stack: not the look-alike, not the other functions
    readers = {f"arn:aws:iam::{ACCOUNT}:role/{packaged.stack}-{FUNCTIONS[f]}" for f in READING_ACCOUNTS}
    assert {reach.principal for reach in reaches} == readers
