"""Write a generated inventory as the files ``trustwatch scan --snapshot`` reads.

One ``get-account-authorization-details`` file per account (policy documents as JSON objects, as the AWS CLI
prints them) and one organization file, so a benchmark can time the whole ``trustwatch scan`` process,
parsing included, exactly as a user runs it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalicelib.iam.entities import Account, Identity, Inventory, NamedPolicy, Role, User
from chalicelib.rules.remediation import document_dict


def write_snapshots(inventory: Inventory, directory: Path) -> list[Path]:
    """The account files and the organization file of ``inventory`` in ``directory``; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for account in inventory.accounts.values():
        path = directory / f"{account.account_id}.json"
        path.write_text(json.dumps(_account(account)))
        paths.append(path)
    org = inventory.organization
    if org.org_id:
        path = directory / "organization.json"
        accounts = [
            {"Id": a, "OrgPath": org.org_paths.get(a, f"{org.org_id}/r-root/")} for a in sorted(org.account_ids)
        ]
        body = {
            "Organization": {"Id": org.org_id, "ManagementAccountId": org.management_account_id},
            "Accounts": accounts,
        }
        path.write_text(json.dumps(body))
        paths.append(path)
    return paths


def _policies(policies: tuple[NamedPolicy, ...]) -> list[dict[str, Any]]:
    return [{"PolicyName": p.name, "PolicyDocument": document_dict(p.document)} for p in policies]


def _common(identity: Identity, kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        f"{kind}Name": identity.name,
        f"{kind}Id": identity.unique_id,
        "Arn": identity.arn,
        "Path": identity.path,
        "AttachedManagedPolicies": [
            {"PolicyArn": a, "PolicyName": a.rsplit("/", 1)[-1]} for a in identity.managed_policy_arns
        ],
        "Tags": [{"Key": k, "Value": v} for k, v in identity.tags],
    }
    if identity.boundary_arn:
        out["PermissionsBoundary"] = {
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": identity.boundary_arn,
        }
    return out


def _user(user: User) -> dict[str, Any]:
    return {
        **_common(user, "User"),
        "UserPolicyList": _policies(user.inline_policies),
        "GroupList": list(user.group_names),
    }


def _role(role: Role) -> dict[str, Any]:
    trust = document_dict(role.trust_policy) if role.trust_policy else {}
    return {
        **_common(role, "Role"),
        "RolePolicyList": _policies(role.inline_policies),
        "AssumeRolePolicyDocument": trust,
    }


def _account(account: Account) -> dict[str, Any]:
    groups = [{**_common(g, "Group"), "GroupPolicyList": _policies(g.inline_policies)} for g in account.groups.values()]
    managed = [
        {
            "Arn": arn,
            "PolicyName": arn.rsplit("/", 1)[-1],
            "DefaultVersionId": "v1",
            "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True, "Document": document_dict(p.document)}],
        }
        for arn, p in account.managed_policies.items()
    ]
    return {
        "UserDetailList": [_user(u) for u in account.users.values()],
        "GroupDetailList": groups,
        "RoleDetailList": [_role(r) for r in account.roles.values()],
        "Policies": managed,
    }
