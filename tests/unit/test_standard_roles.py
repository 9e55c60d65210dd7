"""Standard roles an expert would dismiss: nothing above low for them, and no fix asking the unknowable."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.config import parse_config
from chalicelib.iam.entities import Inventory
from chalicelib.inventory.snapshot import parse_authorization_details, parse_organization
from chalicelib.rules.engine import AuditResult, audit_inventory
from chalicelib.rules.findings import Severity

MEMBER, MANAGEMENT, VENDOR = "111111111111", "999988887777", "777766665555"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
ORG = {"Organization": {"Id": "o-a1b2c3d4e5", "ManagementAccountId": MANAGEMENT}, "Accounts": [{"Id": MEMBER}]}


def _role(name: str, trusted: str, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{trusted}:root"},
                                 "Action": "sts:AssumeRole"}  # fmt: skip
    if condition:
        statement["Condition"] = condition
    return {"RoleName": name, "RoleId": f"AROA{name.upper()[:16]:0<16}", "Arn": f"arn:aws:iam::{MEMBER}:role/{name}",
            "Path": "/", "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [statement]},
            "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN}]}  # fmt: skip


ACCOUNT = {
    "RoleDetailList": [
        _role("OrganizationAccountAccessRole", MANAGEMENT),
        _role("AWSCloudFormationStackSetExecutionRole", MANAGEMENT),
        _role("VendorAudit", VENDOR, {"StringEquals": {"sts:ExternalId": "c0ffee-4711"}}),
    ],
    "Policies": [{"Arn": ADMIN, "DefaultVersionId": "v1", "PolicyVersionList": [
        {"VersionId": "v1", "IsDefaultVersion": True,
         "Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]}],
}  # fmt: skip
VENDORS = {"third_party_accounts": {VENDOR: "audit-vendor"}}


def _scan(config: dict[str, Any], *, organization: bool) -> AuditResult:
    org = parse_organization(ORG, source="org.json") if organization else None
    inventory = Inventory([parse_authorization_details(ACCOUNT, source="a.json")], org)
    return audit_inventory(inventory, parse_config(config))


@pytest.mark.parametrize(
    ("config", "organization"),
    [
        pytest.param(VENDORS, True, id="management-account-from-the-organization-file"),
        pytest.param({**VENDORS, "management_account_id": MANAGEMENT}, False, id="management-account-from-config"),
    ],
)
def test_standard_roles_and_a_vendor_with_external_id_get_nothing_above_low(
    config: dict[str, Any], organization: bool
) -> None:
    # GIVEN privileged standard roles trusting the management account, and a vendor's root with an external id
    result = _scan(config, organization=organization)
    # THEN every finding is low or below, and no fix asks for a role name inside another party's account
    assert result.findings, "the grants are still reported, informationally"
    assert max(f.severity.rank for f in result.findings) <= Severity.LOW.rank, [
        (f.rule_id, f.role_arn, f.severity) for f in result.findings
    ]
    vendor = [f for f in result.findings if f.evidence.get("account") == VENDOR]
    assert vendor and all("role-name" not in f.remediation and f"{VENDOR}:role" not in f.remediation for f in vendor)


def test_without_knowing_the_management_account_the_same_roles_alarm() -> None:
    # GIVEN neither the organization file nor the configuration names the management account
    result = _scan(VENDORS, organization=False)
    # THEN its grants to admin roles are untrusted, as they must be
    severities = {f.severity for f in result.findings if f.rule_id == "untrusted-account"}
    assert severities == {Severity.CRITICAL}
