"""The AssumeRole request the evaluator decides, and the condition keys AWS derives from the caller."""

from __future__ import annotations

from dataclasses import dataclass, field

from .arn import Arn
from .context import RequestContext
from .entities import NamedPolicy, PolicyLevel
from .policy import PolicyDocument
from .principal import Caller, CallerKind

ASSUME_ROLE = "sts:AssumeRole"
ASSUME_ROLE_WITH_SAML = "sts:AssumeRoleWithSAML"
ASSUME_ROLE_WITH_WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
TAG_SESSION = "sts:TagSession"
SET_SOURCE_IDENTITY = "sts:SetSourceIdentity"
SET_CONTEXT = "sts:SetContext"
API_ACTIONS = (ASSUME_ROLE, ASSUME_ROLE_WITH_SAML, ASSUME_ROLE_WITH_WEB_IDENTITY)
MAX_CHAINED_DURATION = 3600

_PRINCIPAL_TYPE = {
    CallerKind.USER: "User",
    CallerKind.ROLE_SESSION: "AssumedRole",
    CallerKind.ROOT: "Account",
    CallerKind.FEDERATED_USER: "FederatedUser",
}


@dataclass(frozen=True, slots=True)
class AssumeRoleRequest:
    """Everything the decision needs: the caller and its policies, the role and its trust policy, the org.

    ``identity_policies`` are all of the caller's identity policies (for a user: inline, attached managed
    and its groups' policies; for a role session: the role's). ``context`` holds the condition keys of the
    request as given; the keys the caller determines are derived when missing (`derived_context`).
    """

    caller: Caller
    role_arn: str
    trust_policy: PolicyDocument
    action: str = ASSUME_ROLE
    identity_policies: tuple[NamedPolicy, ...] = ()
    permissions_boundary: tuple[NamedPolicy, ...] | None = None
    session_policy: NamedPolicy | None = None
    scps: tuple[PolicyLevel, ...] = ()  # caller account chain, root first
    rcps: tuple[PolicyLevel, ...] = ()  # role account chain, root first
    context: RequestContext = field(default_factory=RequestContext)
    caller_in_management_account: bool = False
    role_in_management_account: bool = False
    caller_is_service_linked_role: bool = False
    chained: bool = False  # the caller session itself came from AssumeRole (role chaining)
    duration_seconds: int | None = None

    @property
    def role_account(self) -> str:
        return Arn.parse(self.role_arn).account


def derived_context(caller: Caller) -> dict[str, str]:
    """Condition keys whose value AWS fixes for this caller (ASSUME_ROLE.md §7)."""
    if caller.kind is CallerKind.SERVICE:
        return {"aws:PrincipalIsAWSService": "true", "aws:PrincipalServiceName": caller.arn}
    if caller.account is None or caller.kind in (CallerKind.WEB_IDENTITY, CallerKind.SAML):
        return {}
    keys = {
        "aws:PrincipalArn": caller.principal_arn,
        "aws:PrincipalAccount": caller.account,
        "aws:PrincipalType": _PRINCIPAL_TYPE[caller.kind],
        "aws:PrincipalIsAWSService": "false",
    }
    if caller.kind is CallerKind.USER:
        keys["aws:username"] = Arn.parse(caller.arn).resource_name
        if caller.unique_id:
            keys["aws:userid"] = caller.unique_id
    if caller.kind is CallerKind.ROLE_SESSION and caller.unique_id and caller.session_name:
        keys["aws:userid"] = f"{caller.unique_id}:{caller.session_name}"
    return keys


def required_actions(request: AssumeRoleRequest) -> tuple[str, ...]:
    """The API action plus the permission-only actions the request's features need (ASSUME_ROLE.md §2.2).

    Session tags show in the context as ``aws:RequestTag/…``/``aws:TagKeys``/``sts:TransitiveTagKeys``;
    a source identity as ``sts:SourceIdentity``; provided contexts as ``sts:RequestContextProviders``.
    """
    keys = {key.lower() for key in request.context}
    actions = [request.action]
    tags = any(k.startswith("aws:requesttag/") for k in keys) or keys & {"aws:tagkeys", "sts:transitivetagkeys"}
    if tags:
        actions.append(TAG_SESSION)
    if "sts:sourceidentity" in keys:
        actions.append(SET_SOURCE_IDENTITY)
    if "sts:requestcontextproviders" in keys:
        actions.append(SET_CONTEXT)
    unique: dict[str, str] = {}
    for action in actions:
        unique.setdefault(action.lower(), action)
    return tuple(unique.values())
