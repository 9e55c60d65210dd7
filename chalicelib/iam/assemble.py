"""Build an `AssumeRoleRequest` from loaded accounts: the caller's policies, boundary, tags and org facts.

The snapshot determines what AWS would put in the request context for this caller (``aws:PrincipalArn``
with the role's path, ``aws:userid`` with the unique id, ``aws:PrincipalTag/…``, ``aws:PrincipalOrgID``);
the caller of `request_for` only adds what the request itself carries (ExternalId, MFA, source IP…).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from .arn import Arn
from .context import RequestContext
from .entities import Identity, Inventory, NamedPolicy, User
from .errors import InvalidRequestError
from .principal import Caller, CallerKind, caller_from_principal
from .request import ASSUME_ROLE, AssumeRoleRequest


@dataclass(frozen=True, slots=True)
class AssembledRequest:
    request: AssumeRoleRequest
    gaps: tuple[str, ...]  # what the snapshot lacked (a managed policy it does not contain…)


def request_for(
    inventory: Inventory,
    principal: str,
    role_arn: str,
    *,
    context: Mapping[str, str | Sequence[str]] | None = None,
    action: str = ASSUME_ROLE,
) -> AssembledRequest:
    """The request of ``principal`` (user, role, session, account root…) assuming ``role_arn``."""
    role = inventory.role(role_arn)
    if role is None:
        raise InvalidRequestError(f"role {role_arn} is not in the loaded snapshots")
    if role.trust_policy is None:
        raise InvalidRequestError(f"the trust policy of {role.arn} could not be read: {role.trust_policy_error}")
    side = caller_side(inventory, principal, action)
    caller, identity = side.caller, side.identity
    org = inventory.organization
    caller_account, role_account = caller.account or "", Arn.parse(role.arn).account
    defaults = {**side.context, **{f"aws:ResourceTag/{k}": v for k, v in role.tags}}
    request = AssumeRoleRequest(
        caller=caller,
        role_arn=role.arn,
        trust_policy=role.trust_policy,
        action=action,
        identity_policies=side.policies,
        permissions_boundary=side.boundary,
        scps=org.scps.get(caller_account, ()),
        rcps=org.rcps.get(role_account, ()),
        context=RequestContext(context or {}).with_defaults(defaults),
        caller_in_management_account=caller_account == org.management_account_id,
        role_in_management_account=role_account == org.management_account_id,
        caller_is_service_linked_role=bool(identity and identity.path.startswith("/aws-service-role/")),
    )
    return AssembledRequest(request, side.gaps)


@dataclass(frozen=True, slots=True)
class CallerSide:
    """Everything about the caller that does not depend on the role: assembled once per inventory."""

    caller: Caller
    identity: Identity | None
    policies: tuple[NamedPolicy, ...]
    boundary: tuple[NamedPolicy, ...] | None
    gaps: tuple[str, ...]
    context: dict[str, str | list[str]]


def caller_side(inventory: Inventory, principal: str, action: str) -> CallerSide:
    key = ("caller-side", principal, action)
    cached = inventory.memo.get(key)
    if isinstance(cached, CallerSide):
        return cached
    caller, identity = _caller(inventory, principal, action)
    gaps: list[str] = []
    unloaded = caller.account and caller.account not in inventory.accounts  # unknown, not "has no policies"
    if identity is None and unloaded and caller.kind in (CallerKind.USER, CallerKind.ROLE_SESSION):
        gaps.append(f"the caller's account {caller.account} is not in the loaded snapshots: its identity "
                    "policies, permissions boundary and tags are unknown (decided as if it had none)")  # fmt: skip
    policies = _identity_policies(inventory, identity, gaps) if identity else ()
    boundary = _boundary(inventory, identity, gaps) if identity else None
    side = CallerSide(caller, identity, policies, boundary, tuple(gaps), _snapshot_context(inventory, caller, identity))
    inventory.memo[key] = side
    return side


def _caller(inventory: Inventory, principal: str, action: str) -> tuple[Caller, Identity | None]:
    caller = caller_from_principal(principal, action=action)
    if caller.kind is CallerKind.USER:
        user = inventory.user(caller.arn)
        return (replace(caller, unique_id=user.unique_id), user) if user else (caller, None)
    if caller.kind is CallerKind.ROLE_SESSION and caller.role_arn and caller.account:
        # A role ARN names the role exactly; a session ARN carries only the role's name.
        by_name = inventory.role_by_name(caller.account, Arn.parse(caller.role_arn).resource_name)
        role = inventory.role(caller.role_arn) if caller.arn == caller.role_arn else by_name
        if role is not None:
            return replace(caller, role_arn=role.arn, unique_id=role.unique_id), role
    return caller, None


def _identity_policies(inventory: Inventory, identity: Identity, gaps: list[str]) -> tuple[NamedPolicy, ...]:
    account = identity.account_id
    owners: list[Identity] = [identity]
    if isinstance(identity, User):
        groups = inventory.accounts[account].groups
        owners += [groups[name] for name in identity.group_names if name in groups]
        gaps += [
            f"group {name} of {identity.arn} is not in the snapshot"
            for name in identity.group_names
            if name not in groups
        ]
    policies: list[NamedPolicy] = []
    for owner in owners:
        prefix = "" if owner is identity else f"group {owner.name}: "
        policies += [NamedPolicy(f"{prefix}{p.name}", p.document) for p in owner.inline_policies]
        for arn in owner.managed_policy_arns:
            found = inventory.managed_policy(account, arn)
            if found is None:
                gaps.append(
                    f"managed policy {arn} attached to {owner.arn} is not in the snapshot; counted as granting nothing"
                )
            else:
                policies.append(NamedPolicy(f"{prefix}{arn}", found.document))
    return tuple(policies)


def _boundary(inventory: Inventory, identity: Identity, gaps: list[str]) -> tuple[NamedPolicy, ...] | None:
    if identity.boundary_arn is None:
        return None
    found = inventory.managed_policy(identity.account_id, identity.boundary_arn)
    if found is None:
        gaps.append(f"permissions boundary {identity.boundary_arn} is not in the snapshot; counted as allowing nothing")
        return ()
    return (NamedPolicy(identity.boundary_arn, found.document),)


def _snapshot_context(inventory: Inventory, caller: Caller, identity: Identity | None) -> dict[str, str | list[str]]:
    keys: dict[str, str | list[str]] = {}
    if identity is not None:
        keys.update({f"aws:PrincipalTag/{k}": v for k, v in identity.tags})
    org = inventory.organization
    if caller.account and org.org_id and caller.account in org.account_ids:
        keys["aws:PrincipalOrgID"] = org.org_id
        if caller.account in org.org_paths:
            keys["aws:PrincipalOrgPaths"] = [org.org_paths[caller.account]]
    return keys
