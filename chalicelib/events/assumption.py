"""STS AssumeRole, AssumeRoleWithWebIdentity and AssumeRoleWithSAML calls, successful or denied."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .models import CloudTrailDetail, CloudTrailEvent
from .values import Ignored, account_of, required, text

AssumeApi = Literal["AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"]
ASSUMPTION_APIS: tuple[AssumeApi, ...] = ("AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML")
_API_BY_NAME: dict[str, AssumeApi] = {api: api for api in ASSUMPTION_APIS}
FEDERATED_TYPES = frozenset({"WebIdentityUser", "SAMLUser"})


class Assumption(BaseModel):
    """One attempt to assume a role, as the trail of the account that recorded it saw the caller.

    In the role's own account a cross-account caller shows as ``AWSAccount`` (account and principal id,
    no ARN); federated callers are named by their identity provider, with the token's subject apart.
    """

    model_config = ConfigDict(frozen=True)

    api: AssumeApi
    role_arn: str
    caller_arn: str | None  # userIdentity.arn; for web identity and SAML, the identity provider
    caller_account: str | None
    caller_type: str  # IAMUser, AssumedRole, AWSAccount, WebIdentityUser, SAMLUser, Root, …
    caller_principal_id: str | None
    subject: str | None  # federated callers: the token's subject (e.g. repo:org/repo:ref:refs/heads/main)
    session_name: str | None
    source_identity: str | None
    source_ip: str | None
    user_agent: str | None
    invoked_by: str | None
    succeeded: bool
    error_code: str | None
    error_message: str | None
    external_id_present: bool
    event_id: str
    event_time: datetime
    recipient_account_id: str

    @property
    def caller(self) -> str:
        """A name for the caller that is never empty: its ARN, else its principal id or account."""
        if self.caller_arn:
            return self.caller_arn
        if self.caller_principal_id and self.caller_account:
            return f"{self.caller_principal_id} in account {self.caller_account}"
        return self.caller_principal_id or (
            f"account {self.caller_account}" if self.caller_account else self.caller_type
        )


def assumption_of(event: CloudTrailEvent) -> Assumption:
    detail = event.detail
    identity = detail.user_identity
    if identity.type == "AWSService":
        # The EventBridge pattern already drops these; a replayed one is ignored the same way.
        raise Ignored(f"{detail.event_name} by the AWS service {identity.invoked_by or '?'}")
    if detail.event_name not in _API_BY_NAME:
        raise Ignored(f"{detail.event_name} is not a role assumption")
    role_arn = required(detail, "roleArn")
    if account_of(role_arn) is None or ":role/" not in role_arn:
        raise Ignored(f"{detail.event_name} whose requestParameters.roleArn is not a role ARN: {role_arn[:200]!r}")
    caller = _caller_arn(detail)
    return Assumption(
        api=_API_BY_NAME[detail.event_name],
        role_arn=role_arn,
        caller_arn=caller,
        caller_account=identity.account_id or (account_of(caller) if identity.type in FEDERATED_TYPES else None),
        caller_type=identity.type,
        caller_principal_id=identity.principal_id,
        subject=_subject(detail),
        session_name=text(detail.request("roleSessionName")),
        source_identity=text(detail.request("sourceIdentity")),
        source_ip=detail.source_ip_address,
        user_agent=detail.user_agent,
        invoked_by=identity.invoked_by,
        succeeded=detail.error_code is None,
        error_code=detail.error_code,
        error_message=detail.error_message,
        external_id_present="externalId" in (detail.request_parameters or {}),
        event_id=detail.event_id,
        event_time=detail.event_time,
        recipient_account_id=event.account_id,
    )


def _caller_arn(detail: CloudTrailDetail) -> str | None:
    identity = detail.user_identity
    if identity.type == "SAMLUser":
        # userIdentity.identityProvider holds SAML's NameQualifier hash; the provider's ARN is the request's.
        return text(detail.request("principalArn")) or identity.identity_provider
    if identity.type == "WebIdentityUser":
        return identity.identity_provider or text(detail.response("provider"))
    return identity.arn


def _subject(detail: CloudTrailDetail) -> str | None:
    if detail.user_identity.type not in FEDERATED_TYPES:
        return None
    return (
        detail.user_identity.user_name
        or text(detail.response("subjectFromWebIdentityToken"))
        or text(detail.response("subject"))
    )
