"""Edges from principals outside the snapshot, decided by the same evaluator.

An account principal stands for any user or role session of that account, ``*`` for anyone; their own
identity policies are not loaded and are assumed to allow the call, which is stated as a requirement of the
edge. Keys that say who the caller is and that its name does not fix (``aws:PrincipalOrgID`` of an account
outside the organization…) are free: the edge records the values it assumed for them.
"""

from __future__ import annotations

from dataclasses import replace

from .arn import try_parse
from .context import RequestContext
from .entities import Inventory, NamedPolicy, Organization
from .errors import InvalidRequestError
from .evaluate import can_assume
from .graph_context import hop_context, is_caller_chosen, is_principal_key
from .graph_index import RoleTrust
from .graph_types import Edge
from .policy import parse_policy
from .principal import Caller, CallerKind, caller_from_principal
from .request import ASSUME_ROLE, AssumeRoleRequest, derived_context

OUTSIDE_IDENTITY = NamedPolicy(
    "(not loaded: the caller's own account is assumed to allow it)",
    parse_policy({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
)
OUTSIDE_REQUIREMENT = "requires an identity policy in the caller's account allowing sts:AssumeRole (not loaded)"


class OutsideEdges:
    """Decides whether a principal outside the snapshot, named by a trust policy, can assume its role."""

    def __init__(self, inventory: Inventory, environment: dict[str, str]) -> None:
        self.inventory = inventory
        self.environment = environment
        self.evaluations = 0

    def decide(self, trust: RoleTrust, name: str, action: str) -> Edge | None:
        caller = external_caller(name, action)
        if caller is None:
            return None
        org_keys = _org_keys(self.inventory.organization, caller.account)
        known = _known_keys(caller, name) | {k.lower() for k in org_keys}

        def free(key: str) -> bool:
            return is_caller_chosen(key) or (is_principal_key(key) and key.lower() not in known)

        for grant in (g for g in trust.grants if (name, action) in g.external):
            hop = hop_context(grant.statement, trust.denies, free)
            context = RequestContext({**self.environment, **hop.values}).with_defaults(org_keys)
            self.evaluations += 1
            if can_assume(self._request(trust, caller, action, context)).allowed:
                extra = (OUTSIDE_REQUIREMENT,) if caller.is_iam else ()
                assumed = tuple((k, _values(v)) for k, v in hop.values.items() if is_principal_key(k))
                return Edge(name, trust.role.arn, hop.requirements + extra, assumed)
        return None

    def _request(self, trust: RoleTrust, caller: Caller, action: str, context: RequestContext) -> AssumeRoleRequest:
        org, account = self.inventory.organization, caller.account or ""
        return AssumeRoleRequest(
            caller=caller,
            role_arn=trust.role.arn,
            trust_policy=trust.document,
            action=action,
            identity_policies=(OUTSIDE_IDENTITY,) if caller.is_iam else (),
            scps=org.scps.get(account, ()),
            rcps=org.rcps.get(trust.role.account_id, ()),
            context=context,
            caller_in_management_account=bool(account) and account == org.management_account_id,
            role_in_management_account=trust.role.account_id == org.management_account_id,
        )


def external_caller(name: str, action: str = ASSUME_ROLE) -> Caller | None:
    """The caller a principal outside the snapshot stands for; None when it cannot call STS at all."""
    if name == "*":
        return Caller(CallerKind.USER, "*")  # anyone: no account, so only "*" entries match it
    try:
        caller = caller_from_principal(name, action=action)
    except InvalidRequestError:
        return None
    if caller.kind is CallerKind.ROOT:
        # An account principal stands for any user or role session of the account, not its root user.
        return replace(caller, kind=CallerKind.USER)
    return caller


def _known_keys(caller: Caller, name: str) -> set[str]:
    """Keys AWS fixes for an outside principal that the name alone determines."""
    if name == "*":
        return set()
    parsed = try_parse(name)
    if parsed is not None and parsed.resource == "root":
        return {"aws:principalaccount"}
    return {key.lower() for key in derived_context(caller)}


def _org_keys(org: Organization, account: str | None) -> dict[str, str | list[str]]:
    if account is None or org.org_id is None or account not in org.account_ids:
        return {}
    keys: dict[str, str | list[str]] = {"aws:PrincipalOrgID": org.org_id}
    if account in org.org_paths:
        keys["aws:PrincipalOrgPaths"] = [org.org_paths[account]]
    return keys


def _values(value: str | list[str]) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list) else (value,)
