"""Build accounts in a local AWS stand-in (moto's server) from snapshot files, through boto3 as a user would.

The caller's account is moto's default (123456789012); every other account is reached by assuming its audit
role, which is created there first (moto answers AssumeRole for any role, which is how the role gets made),
so the auditor's own route — audit role in each member account — works against the stand-in as it would in
AWS. AWS managed policies are not loaded in the stand-in, so attachments of them are skipped and listed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from ..iam.policy import decode_document

AUDIT_ROLE = "TrustwatchAudit"
CALLER_ACCOUNT = "123456789012"


def seed_from_snapshots(session: Any, paths: Sequence[str | Path], *, endpoint_url: str) -> list[str]:
    """Create every user, group, role and policy of the snapshot files; returns what had to be skipped."""
    skipped: list[str] = []
    for path in paths:
        data = json.loads(Path(path).read_text())
        if "RoleDetailList" not in data:
            continue
        account = _account_of(data)
        iam = iam_client(session, account, endpoint_url=endpoint_url)
        if account != CALLER_ACCOUNT:
            _create_role(iam, AUDIT_ROLE, "/", _trust_caller(), tags=[])
        skipped += _apply(iam, data)
    return skipped


def iam_client(session: Any, account: str, *, endpoint_url: str) -> Any:
    """An IAM client acting in ``account``: the caller's own, or through the account's audit role."""
    return account_session(session, account, endpoint_url=endpoint_url).client("iam", endpoint_url=endpoint_url)


def account_session(session: Any, account: str, *, endpoint_url: str) -> Any:
    if account == CALLER_ACCOUNT:
        return session
    sts = session.client("sts", endpoint_url=endpoint_url)
    role = f"arn:aws:iam::{account}:role/{AUDIT_ROLE}"
    credentials = sts.assume_role(RoleArn=role, RoleSessionName="trustwatch-seed")["Credentials"]
    return type(session)(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=session.region_name,
    )


def _account_of(data: dict[str, Any]) -> str:
    for key in ("RoleDetailList", "UserDetailList", "GroupDetailList"):
        for entity in data.get(key) or []:
            return str(entity["Arn"]).split(":")[4]
    for policy in data.get("Policies") or []:
        account = str(policy["Arn"]).split(":")[4]
        if account != "aws":
            return account
    raise ValueError("a snapshot without entities")


def _trust_caller() -> str:
    principal = {"AWS": f"arn:aws:iam::{CALLER_ACCOUNT}:root"}
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
        }
    )


def _document(raw: Any) -> str:
    return json.dumps(decode_document(unquote(raw) if isinstance(raw, str) and raw.startswith("%") else raw))


def _apply(iam: Any, data: dict[str, Any]) -> list[str]:
    skipped: list[str] = []
    for policy in data.get("Policies") or []:
        if ":aws:policy/" not in policy["Arn"]:
            default = next(v for v in policy["PolicyVersionList"] if v.get("IsDefaultVersion"))
            name = policy.get("PolicyName") or policy["Arn"].rsplit("/", 1)[1]
            iam.create_policy(
                PolicyName=name, Path=policy.get("Path", "/"), PolicyDocument=_document(default["Document"])
            )
    for group in data.get("GroupDetailList") or []:
        iam.create_group(GroupName=group["GroupName"], Path=group.get("Path", "/"))
        for inline in group.get("GroupPolicyList") or []:
            iam.put_group_policy(
                GroupName=group["GroupName"],
                PolicyName=inline["PolicyName"],
                PolicyDocument=_document(inline["PolicyDocument"]),
            )
        skipped += _attach(iam.attach_group_policy, "GroupName", group["GroupName"], group)
    for user in data.get("UserDetailList") or []:
        iam.create_user(UserName=user["UserName"], Path=user.get("Path", "/"), Tags=user.get("Tags") or [])
        for inline in user.get("UserPolicyList") or []:
            iam.put_user_policy(
                UserName=user["UserName"],
                PolicyName=inline["PolicyName"],
                PolicyDocument=_document(inline["PolicyDocument"]),
            )
        for group_name in user.get("GroupList") or []:
            iam.add_user_to_group(GroupName=group_name, UserName=user["UserName"])
        skipped += _attach(iam.attach_user_policy, "UserName", user["UserName"], user)
    for role in data.get("RoleDetailList") or []:
        skipped += _create_role(
            iam,
            role["RoleName"],
            role.get("Path", "/"),
            _document(role["AssumeRolePolicyDocument"]),
            tags=role.get("Tags") or [],
            role=role,
        )
    return skipped


def _create_role(
    iam: Any, name: str, path: str, trust: str, *, tags: list[Any], role: dict[str, Any] | None = None
) -> list[str]:
    boundary = ((role or {}).get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    extra = {"PermissionsBoundary": boundary} if boundary else {}
    iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=trust, Tags=tags, **extra)
    if role is None:
        return []
    for inline in role.get("RolePolicyList") or []:
        iam.put_role_policy(
            RoleName=name, PolicyName=inline["PolicyName"], PolicyDocument=_document(inline["PolicyDocument"])
        )
    return _attach(iam.attach_role_policy, "RoleName", name, role)


def _attach(attach: Any, key: str, name: str, entity: dict[str, Any]) -> list[str]:
    skipped = []
    for attached in entity.get("AttachedManagedPolicies") or []:
        if ":aws:policy/" in attached["PolicyArn"]:
            skipped.append(f"{attached['PolicyArn']} on {name} (AWS managed policies are not loaded in the stand-in)")
            continue
        attach(**{key: name, "PolicyArn": attached["PolicyArn"]})
    return skipped
