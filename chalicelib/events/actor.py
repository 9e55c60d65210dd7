"""Who made a change, and through which deployment tool: the automatic deployment attribution."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from .models import CloudTrailDetail, UserIdentity

CLOUDFORMATION = "cloudformation.amazonaws.com"
# Markers in the user agent (or the role session name), most specific first: CDK, SAM and Serverless
# deploy through CloudFormation, so "CloudFormation" is only the answer when nothing more precise is seen.
_TOOL_MARKERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Terraform", ("terraform",)),
    ("CDK", ("aws-cdk",)),
    ("Pulumi", ("pulumi",)),
    ("SAM", ("aws-sam-cli", "sam-cli")),
    ("Serverless", ("serverless",)),
    ("Chalice", ("chalice",)),
    ("CloudFormation", ("cloudformation",)),
)
# The CDK bootstrap's CloudFormation execution role: cdk-<qualifier>-cfn-exec-role-<account>-<region>.
_CDK_EXEC_ROLE = re.compile(r"cdk-[a-z0-9]+-cfn-exec-role-")


class Actor(BaseModel):
    """The principal behind an API call, with the deployment tool that made it when one can be told."""

    model_config = ConfigDict(frozen=True)

    arn: str | None
    account_id: str | None
    type: str
    name: str
    session_name: str | None
    invoked_by: str | None
    user_agent: str | None
    source_ip: str | None
    deployment_tool: str | None
    time: datetime

    def describe(self) -> str:
        """``alice (arn:aws:iam::…:user/alice) via CloudFormation at 2026-11-23T10:01:02Z``."""
        text = self.name
        if self.arn and self.arn != self.name:
            text += f" ({self.arn})"
        via = self.deployment_tool or self.invoked_by
        if via:
            text += f" via {via}"
        return f"{text} at {self.time:%Y-%m-%dT%H:%M:%SZ}"


def actor_of(detail: CloudTrailDetail) -> Actor:
    identity = detail.user_identity
    session = session_name(identity)
    return Actor(
        arn=identity.arn,
        account_id=identity.account_id,
        type=identity.type,
        name=_display_name(identity, session),
        session_name=session,
        invoked_by=identity.invoked_by,
        user_agent=detail.user_agent,
        source_ip=detail.source_ip_address,
        deployment_tool=deployment_tool(detail.user_agent, identity, session),
        time=detail.event_time,
    )


def session_name(identity: UserIdentity) -> str | None:
    """The role session name of an assumed-role caller (the last part of its session ARN)."""
    if identity.type != "AssumedRole" or not identity.arn:
        return None
    return identity.arn.rsplit("/", 1)[-1]


def deployment_tool(user_agent: str | None, identity: UserIdentity, session: str | None = None) -> str | None:
    """The deployment tool that made the call, from the user agent, the session and ``invokedBy``.

    For attribution only: the caller controls its user agent and session name, so this must never
    decide whether a change is reported.
    """
    issuer = _issuer_name(identity)
    if issuer and _CDK_EXEC_ROLE.match(issuer):
        return "CDK"
    for text in (user_agent, session):
        lowered = (text or "").lower()
        for tool, markers in _TOOL_MARKERS:
            if any(marker in lowered for marker in markers):
                return tool
    return "CloudFormation" if identity.invoked_by == CLOUDFORMATION else None


def _issuer_name(identity: UserIdentity) -> str | None:
    context = identity.session_context
    issuer = context.session_issuer if context else None
    return issuer.user_name if issuer else None


def _display_name(identity: UserIdentity, session: str | None) -> str:
    if identity.type == "Root":
        return "root"
    if identity.type == "AWSService":
        return identity.invoked_by or "an AWS service"
    if identity.type == "AWSAccount":
        return f"account {identity.account_id or '?'}"
    if session:
        issuer = _issuer_name(identity)
        return f"{issuer}/{session}" if issuer else session
    return identity.user_name or identity.arn or identity.principal_id or identity.type
