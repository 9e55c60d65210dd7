"""What a CloudTrail event means to Trustwatch: a trust change, an identity change, a role assumption or
tampering with the auditor itself. Pure data extraction: no AWS calls.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ..iam.arn import role_arn
from ..iam.policy import decode_document
from .actor import Actor, actor_of
from .assumption import ASSUMPTION_APIS, Assumption, assumption_of
from .auditor import AUDITOR_PREFIX, auditor_resource, operation_name
from .models import CLOUDTRAIL_DETAIL_TYPE, CloudTrailEvent
from .values import Ignored, partition_of, policy_text, required, text

__all__ = [
    "IDENTITY_EVENTS",
    "TRUST_EVENTS",
    "Assumption",
    "AuditorChange",
    "Change",
    "IdentityChange",
    "TrustChange",
    "classify",
    "ignored_reason",
]

TrustKind = Literal["created", "updated", "deleted"]
SubjectKind = Literal["user", "role", "group", "policy"]

TRUST_EVENTS: dict[str, TrustKind] = {
    "CreateRole": "created",
    "UpdateAssumeRolePolicy": "updated",
    "DeleteRole": "deleted",
}
_ROLE_EVENTS = ("PutRolePolicy", "DeleteRolePolicy", "AttachRolePolicy", "DetachRolePolicy")
_USER_EVENTS = ("PutUserPolicy", "DeleteUserPolicy", "AttachUserPolicy", "DetachUserPolicy")
_BOUNDARY_EVENTS = ("PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary")
_USER_BOUNDARY_EVENTS = ("PutUserPermissionsBoundary", "DeleteUserPermissionsBoundary")
_GROUP_EVENTS = ("PutGroupPolicy", "DeleteGroupPolicy", "AttachGroupPolicy", "DetachGroupPolicy")
_MEMBERSHIP_EVENTS = ("AddUserToGroup", "RemoveUserFromGroup")
_POLICY_EVENTS = ("CreatePolicyVersion", "SetDefaultPolicyVersion", "DeletePolicyVersion")
# eventName -> (kind of principal or policy it changes, the requestParameter that names it)
IDENTITY_EVENTS: dict[str, tuple[SubjectKind, str]] = {
    **dict.fromkeys((*_ROLE_EVENTS, *_BOUNDARY_EVENTS), ("role", "roleName")),
    **dict.fromkeys((*_USER_EVENTS, *_USER_BOUNDARY_EVENTS, *_MEMBERSHIP_EVENTS), ("user", "userName")),
    **dict.fromkeys(_GROUP_EVENTS, ("group", "groupName")),
    **dict.fromkeys(_POLICY_EVENTS, ("policy", "policyArn")),
}


class _Change(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_name: str
    actor: Actor
    event_id: str
    event_time: datetime


class TrustChange(_Change):
    """CreateRole, UpdateAssumeRolePolicy or DeleteRole: a role's trust policy changed."""

    kind: TrustKind
    account_id: str
    role_name: str
    role_arn: str
    role_arn_exact: bool  # False: the event does not give the role's path, "/" was assumed
    new_trust: str | None  # the policy text as CloudTrail recorded it (plain or URL-encoded JSON)

    def trust_document(self) -> Any:
        """The new trust policy as Python data, or None (deleted role, or an event without it)."""
        return None if self.new_trust is None else decode_document(self.new_trust, source=self.role_arn)


class IdentityChange(_Change):
    """A change to a user's, role's or group's permissions, or to a managed policy's default version."""

    account_id: str
    subject_kind: SubjectKind
    subject_name: str
    policy_arn: str | None
    policy_name: str | None = None  # inline policies
    group_name: str | None = None  # AddUserToGroup / RemoveUserFromGroup
    policy_document: str | None = None  # inline policy or new policy version text, as recorded


class AuditorChange(_Change):
    """An API call on the auditor's own rules, functions, topic or roles (attempts that failed included)."""

    event_source: str
    operation: str  # event_name without an API version suffix (UpdateFunctionCode20150331v2 -> UpdateFunctionCode)
    resource: str
    error_code: str | None = None


Change = TrustChange | IdentityChange | Assumption | AuditorChange


def classify(event: CloudTrailEvent, auditor_prefix: str = AUDITOR_PREFIX) -> Change | None:
    """The change an event reports, or None when Trustwatch ignores it (see `ignored_reason`).

    A call on one of the auditor's own resources is an AuditorChange even when it is also an IAM change.
    """
    return _classify(event, auditor_prefix)[0]


def ignored_reason(event: CloudTrailEvent, auditor_prefix: str = AUDITOR_PREFIX) -> str | None:
    """Why `classify` returns None for this event; None when it returns a change."""
    return _classify(event, auditor_prefix)[1]


def _classify(event: CloudTrailEvent, prefix: str) -> tuple[Change | None, str | None]:
    detail = event.detail
    if event.detail_type != CLOUDTRAIL_DETAIL_TYPE:
        return None, f"not a CloudTrail API call event (detail-type {event.detail_type!r})"
    try:
        if (resource := auditor_resource(detail, prefix)) is not None:
            return _auditor_change(event, resource), None
        if detail.event_source == "iam.amazonaws.com" and detail.event_name in {*TRUST_EVENTS, *IDENTITY_EVENTS}:
            return _iam_change(event), None
        if detail.event_source == "sts.amazonaws.com" and detail.event_name in ASSUMPTION_APIS:
            return assumption_of(event), None
    except Ignored as ignored:
        return None, str(ignored)
    return None, f"{detail.event_source} {detail.event_name} is not an event Trustwatch acts on"


def _iam_change(event: CloudTrailEvent) -> TrustChange | IdentityChange:
    detail = event.detail
    if detail.error_code:
        raise Ignored(f"{detail.event_name} failed ({detail.error_code}): nothing changed")
    if detail.event_name in TRUST_EVENTS:
        return _trust_change(event)
    return _identity_change(event)


def _trust_change(event: CloudTrailEvent) -> TrustChange:
    detail = event.detail
    name = required(detail, "roleName")
    role = detail.response("role")
    role = role if isinstance(role, dict) else {}
    path = text(role.get("path")) or text(detail.request("path"))
    arn = text(role.get("arn")) or role_arn(event.account_id, name, path or "/", partition_of(detail.aws_region))
    trust = policy_text(detail.request("assumeRolePolicyDocument") or detail.request("policyDocument"))
    return TrustChange(
        kind=TRUST_EVENTS[detail.event_name],
        account_id=event.account_id,
        role_name=name,
        role_arn=arn,
        role_arn_exact=bool(role.get("arn") or path),
        new_trust=trust or text(role.get("assumeRolePolicyDocument")),
        **_common(event),
    )


def _identity_change(event: CloudTrailEvent) -> IdentityChange:
    detail = event.detail
    kind, key = IDENTITY_EVENTS[detail.event_name]
    subject = required(detail, key)
    attached = detail.request("policyArn") or detail.request("permissionsBoundary")
    policy_arn = subject if kind == "policy" else text(attached)
    return IdentityChange(
        account_id=event.account_id,
        subject_kind=kind,
        subject_name=subject.rsplit("/", 1)[-1] if kind == "policy" else subject,
        policy_arn=policy_arn,
        policy_name=text(detail.request("policyName")),
        group_name=text(detail.request("groupName")) if kind == "user" else None,
        policy_document=policy_text(detail.request("policyDocument")),
        **_common(event),
    )


def _auditor_change(event: CloudTrailEvent, resource: str) -> AuditorChange:
    detail = event.detail
    return AuditorChange(
        event_source=detail.event_source,
        operation=operation_name(detail.event_name),
        resource=resource,
        error_code=detail.error_code,
        **_common(event),
    )


def _common(event: CloudTrailEvent) -> dict[str, Any]:
    detail = event.detail
    return {
        "event_name": detail.event_name,
        "actor": actor_of(detail),
        "event_id": detail.event_id,
        "event_time": detail.event_time,
    }
