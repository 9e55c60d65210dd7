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
from .graph_classes import CallerGroup, CallerGroups, ClassKey, DecisionClasses
from .graph_context import HopContext, environment, hop_context, is_caller_chosen, is_principal_key
from .graph_index import IdentityIndex, RoleTrust, TrustIndex
from .policy import parse_policy
from .principal import Caller, CallerKind, caller_from_principal
from .request import ASSUME_ROLE, AssumeRoleRequest, derived_context
from .statements import covers

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
    # For a principal outside the snapshot: the values the hop assumed for keys that say who it is
    # (``aws:PrincipalOrgID``…); a rule can tell from them that whoever passes is internal after all.
    assumed: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True, slots=True)
class EdgeGroup:
    """Every source of ``sources`` can assume ``target`` in one hop, provided it meets ``requirements``.
    The sources of a decision class share one tuple across roles, so the graph holds classes, not pairs."""

    sources: tuple[str, ...]
    target: str
    requirements: tuple[str, ...] = ()
    assumed: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def edges(self) -> Iterator[Edge]:
        return (Edge(source, self.target, self.requirements, self.assumed) for source in self.sources)


class EdgeFinder:
    """Finds the edges into one role; ``prefilter=False`` evaluates every loaded principal (the reference)."""

    def __init__(self, inventory: Inventory, *, now: datetime, prefilter: bool = True) -> None:
        self.inventory = inventory
        self.prefilter = prefilter
        self.trusts = TrustIndex(inventory)
        self.identities = IdentityIndex(inventory)
        self.environment = environment(now)
        # With the pre-filter, the evaluator decides once per decision class (`graph_classes`), not per pair.
        self.classes = DecisionClasses(inventory)
        self._groups: dict[str, CallerGroups] = {}
        self._decided: dict[ClassKey, int | None] = {}
        self._decided_outside: dict[ClassKey, Edge | None] = {}
        self.evaluations = 0

    def edges_into(self, role: Role) -> tuple[EdgeGroup, ...]:
        trust = self.trusts.trust(role)
        if trust is None:
            return ()  # an unreadable trust policy admits nobody; scans report it as an error
        grants = [g for g in trust.grants if covers(g.statement, ASSUME_ROLE)]
        hops = _distinct(hop_context(g.statement, trust.denies, is_caller_chosen) for g in grants)
        found: list[EdgeGroup] = []
        if hops and self.prefilter:
            found += self._loaded_groups(trust, hops)
        elif hops:
            found += [g for p in sorted(self._everyone()) if (g := self._single(trust, p, hops, exact=True))]
        found += self._session_groups(trust, hops, {source for group in found for source in group.sources})
        names = dict.fromkeys(name for grant in trust.grants for name in grant.external)
        for name in names:
            edge = self._external_edge(trust, *name)
            if edge is not None:
                found.append(EdgeGroup((edge.source,), edge.target, edge.requirements, edge.assumed))
        return tuple(sorted(found, key=lambda g: g.sources[0]))

    def _session_groups(self, trust: RoleTrust, hops: list[HopContext], reached: set[str]) -> Iterator[EdgeGroup]:
        """A trust policy that names a session of a loaded role: that role reaches it when its session takes
        the name (``assumed-role/ci-runner/deploy-bot``); decided by the evaluator for that session ARN."""
        sessions = sorted({pair for grant in trust.grants for pair in grant.sessions})
        for role_arn, session in sessions:
            if role_arn in reached:
                continue  # the role reaches it whatever its session is called
            for hop in hops:
                context = {**self.environment, **hop.values}
                self.evaluations += 1
                if can_assume(request_for(self.inventory, session, trust.role.arn, context=context).request).allowed:
                    name = session.rsplit("/", 1)[-1]
                    reached.add(role_arn)
                    yield EdgeGroup(
                        (role_arn,), trust.role.arn, (f"requires role session name {name}", *hop.requirements)
                    )
                    break

    def _loaded_groups(self, trust: RoleTrust, hops: list[HopContext]) -> Iterator[EdgeGroup]:
        """Named principals one by one; everyone else a decision class at a time."""
        direct, groups = self._candidates(trust)
        alone = direct | self.classes.named(trust.role)
        decided_alone = {p for p in alone if p in direct or any(p in g.member_set for g in groups)}
        for principal in sorted(decided_alone):
            single = self._single(trust, principal, hops, exact=False)
            if single is not None:
                yield single
        for group in groups:
            members = tuple(m for m in group.members if m not in alone) if group.member_set & alone else group.members
            yield from self._class_groups(trust, members, hops)

    def _class_groups(self, trust: RoleTrust, members: tuple[str, ...], hops: list[HopContext]) -> Iterator[EdgeGroup]:
        if not members:
            return
        for key, part in self.classes.partition(members, trust.role):
            allowed = self._decide(key, trust, part[0], hops)
            if allowed is not None:
                yield EdgeGroup(part, trust.role.arn, hops[allowed].requirements)

    def _single(self, trust: RoleTrust, principal: str, hops: list[HopContext], *, exact: bool) -> EdgeGroup | None:
        if exact:
            allowed = self._first_allowing(trust, principal, hops)
        else:
            allowed = self._decide(self.classes.key(principal, trust.role), trust, principal, hops)
        return None if allowed is None else EdgeGroup((principal,), trust.role.arn, hops[allowed].requirements)

    def _decide(self, key: ClassKey, trust: RoleTrust, principal: str, hops: list[HopContext]) -> int | None:
        if key not in self._decided:
            self._decided[key] = self._first_allowing(trust, principal, hops)
        return self._decided[key]

    def _candidates(self, trust: RoleTrust) -> tuple[set[str], list[CallerGroup]]:
        """Loaded principals the trust policy names (and, where they need it, their own policies allow), and
        the classes of the accounts it admits whose policies may allow sts:AssumeRole on the role."""
        role, role_account = trust.role, trust.role.account_id
        direct: set[str] = set()
        groups: dict[int, CallerGroup] = {}
        for grant in trust.grants:
            for principal in grant.direct:
                if _account(principal) == role_account or self.identities.may_allow(principal, role.arn):
                    direct.add(principal)
            for account in self.inventory.accounts if grant.anyone else grant.accounts:
                index = self._account_groups(account)
                every = grant.anyone and account == role_account  # "*" grants its own account directly
                for group in index.groups if every else index.matching(role.arn):
                    groups[id(group)] = group
        return direct, sorted(groups.values(), key=lambda g: g.members[0])

    def _account_groups(self, account: str) -> CallerGroups:
        if account not in self._groups:
            principals = self.trusts.principals_of(account)
            self._groups[account] = CallerGroups(principals, self.classes, self.identities)
        return self._groups[account]

    def _everyone(self) -> set[str]:
        return {p for account in self.inventory.accounts for p in self.trusts.principals_of(account)}

    def _first_allowing(self, trust: RoleTrust, principal: str, hops: list[HopContext]) -> int | None:
        """The first hop context (fewest requirements first) in which the evaluator allows the call."""
        for index, hop in enumerate(hops):
            context = {**self.environment, **hop.values}
            assembled = request_for(self.inventory, principal, trust.role.arn, context=context)
            self.evaluations += 1
            if can_assume(assembled.request).allowed:
                return index
        return None

    def _external_edge(self, trust: RoleTrust, name: str, action: str) -> Edge | None:
        if not self.prefilter:
            return self._decide_external(trust, name, action)
        key = self.classes.outside_key(name, action, trust.role)
        if key not in self._decided_outside:
            self._decided_outside[key] = self._decide_external(trust, name, action)
        found = self._decided_outside[key]
        return None if found is None else replace(found, target=trust.role.arn)

    def _decide_external(self, trust: RoleTrust, name: str, action: str) -> Edge | None:
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
            if can_assume(self._outside_request(trust, caller, action, context)).allowed:
                extra = (OUTSIDE_REQUIREMENT,) if caller.is_iam else ()
                assumed = tuple((k, _values(v)) for k, v in hop.values.items() if is_principal_key(k))
                return Edge(name, trust.role.arn, hop.requirements + extra, assumed)
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


def _values(value: str | list[str]) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list) else (value,)


def _distinct(hops: Iterator[HopContext]) -> list[HopContext]:
    unique: dict[str, HopContext] = {}
    for hop in hops:
        unique.setdefault(repr(sorted(hop.values.items())), hop)
    return sorted(unique.values(), key=lambda hop: len(hop.requirements))


def _account(arn: str) -> str:
    return Arn.parse(arn).account
