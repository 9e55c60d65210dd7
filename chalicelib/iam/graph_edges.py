"""The edges of the reachability graph: who can assume one role in one hop, decided by `can_assume`.

For each role, the candidates come from `TrustIndex`/`IdentityIndex` (or, with ``prefilter=False``, every
loaded principal: the brute-force reference the tests and the benchmark compare against). Each candidate is
then decided by the evaluator once per distinct hop context of the trust policy's grants, fewest
requirements first; the first context that allows gives the edge and its requirements.

Principals outside the snapshot are decided with the same evaluator: an account principal stands for any
user or role session of that account, ``*`` for anyone, and their own identity policies, which are not
loaded, are assumed to allow the call; that assumption is stated as a requirement of the edge.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from .arn import Arn, try_parse
from .assemble import request_for
from .context import RequestContext
from .entities import Inventory, NamedPolicy, Organization, Role
from .errors import InvalidRequestError
from .evaluate import can_assume
from .graph_context import HopContext, environment, hop_context, is_caller_chosen, is_principal_key
from .graph_index import IdentityIndex, RoleTrust, TrustIndex, group_by_patterns
from .policy import parse_policy
from .principal import Caller, CallerKind, caller_from_principal
from .request import ASSUME_ROLE, AssumeRoleRequest, derived_context
from .statements import covers
from .wildcard import arn_matches

OUTSIDE_IDENTITY = NamedPolicy(
    "(not loaded: the caller's own account is assumed to allow it)",
    parse_policy({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
)
OUTSIDE_REQUIREMENT = "requires an identity policy in the caller's account allowing sts:AssumeRole (not loaded)"


@dataclass(frozen=True, slots=True)
class Edge:
    """``source`` can assume ``target`` in one hop, provided it meets ``requirements``."""

    source: str
    target: str
    requirements: tuple[str, ...] = ()


class EdgeFinder:
    """Finds the edges into one role; ``prefilter=False`` evaluates every loaded principal (the reference)."""

    def __init__(self, inventory: Inventory, *, now: datetime, prefilter: bool = True) -> None:
        self.inventory = inventory
        self.prefilter = prefilter
        self.trusts = TrustIndex(inventory)
        self.identities = IdentityIndex(inventory)
        self.environment = environment(now)
        self._groups: dict[str, dict[tuple[str, ...], list[str]]] = {}

    def edges_into(self, role: Role) -> tuple[Edge, ...]:
        trust = self.trusts.trust(role)
        if trust is None:
            return ()  # an unreadable trust policy admits nobody; scans report it as an error
        grants = [g for g in trust.grants if covers(g.statement, ASSUME_ROLE)]
        hops = _distinct(hop_context(g.statement, trust.denies, is_caller_chosen) for g in grants)
        loaded = (self.candidates(trust) if self.prefilter else self._everyone()) if hops else set()
        edges = [edge for p in sorted(loaded) if (edge := self._loaded_edge(trust, p, hops)) is not None]
        names = dict.fromkeys(name for grant in trust.grants for name in grant.external)
        edges += [edge for name in names if (edge := self._external_edge(trust, *name)) is not None]
        return tuple(sorted(edges, key=lambda e: e.source))

    def candidates(self, trust: RoleTrust) -> set[str]:
        """Loaded principals the trust policy can admit and, where they need it, their own policies allow."""
        role, role_account = trust.role, trust.role.account_id
        found: set[str] = set()
        for grant in trust.grants:
            for principal in grant.direct:
                if _account(principal) == role_account or self.identities.may_allow(principal, role.arn):
                    found.add(principal)
            for account in self.inventory.accounts if grant.anyone else grant.accounts:
                if grant.anyone and account == role_account:
                    found.update(self.trusts.principals_of(account))  # "*" grants its own account directly
                else:
                    found.update(self._allowed_by_identity(account, role.arn))
        return found

    def _allowed_by_identity(self, account: str, role_arn: str) -> Iterator[str]:
        if account not in self._groups:
            self._groups[account] = group_by_patterns(self.identities, self.trusts.principals_of(account))
        for patterns, members in self._groups[account].items():
            if any(arn_matches(p, role_arn) for p in patterns):
                yield from members

    def _everyone(self) -> set[str]:
        return {p for account in self.inventory.accounts for p in self.trusts.principals_of(account)}

    def _loaded_edge(self, trust: RoleTrust, principal: str, hops: list[HopContext]) -> Edge | None:
        for hop in hops:
            context = {**self.environment, **hop.values}
            assembled = request_for(self.inventory, principal, trust.role.arn, context=context)
            if can_assume(assembled.request).allowed:
                return Edge(principal, trust.role.arn, hop.requirements)
        return None

    def _external_edge(self, trust: RoleTrust, name: str, action: str) -> Edge | None:
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
            if can_assume(self._outside_request(trust, caller, action, context)).allowed:
                extra = (OUTSIDE_REQUIREMENT,) if caller.is_iam else ()
                return Edge(name, trust.role.arn, hop.requirements + extra)
        return None

    def _outside_request(
        self, trust: RoleTrust, caller: Caller, action: str, context: RequestContext
    ) -> AssumeRoleRequest:
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


def _distinct(hops: Iterator[HopContext]) -> list[HopContext]:
    unique: dict[str, HopContext] = {}
    for hop in hops:
        unique.setdefault(repr(sorted(hop.values.items())), hop)
    return sorted(unique.values(), key=lambda hop: len(hop.requirements))


def _account(arn: str) -> str:
    return Arn.parse(arn).account
