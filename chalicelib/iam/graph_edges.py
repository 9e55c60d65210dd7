"""The edges of the reachability graph: who can assume one role in one hop, decided by `can_assume`.

For each role, the candidates come from `TrustIndex`/`IdentityIndex` (or, with ``prefilter=False``, every
loaded principal: the brute-force reference the tests and the benchmark compare against). Each candidate is
then decided by the evaluator once per distinct hop context of the trust policy's grants, fewest
requirements first; the first context that allows gives the edge and its requirements. `edge_from` decides
one (principal, role) pair exactly as `edges_into` would, for bringing a stored graph up to date
(`graph_patch`). Principals outside the snapshot are decided in `graph_external`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

from .arn import Arn
from .assemble import request_for
from .entities import Inventory, Role
from .evaluate import can_assume
from .graph_classes import CallerGroup, CallerGroups, ClassKey, DecisionClasses
from .graph_context import HopContext, environment, hop_context, is_caller_chosen
from .graph_external import OutsideEdges
from .graph_index import IdentityIndex, RoleTrust, TrustIndex
from .graph_types import Edge, EdgeGroup
from .request import ASSUME_ROLE
from .statements import covers

__all__ = ["Edge", "EdgeFinder", "EdgeGroup"]


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
        self._trusts: dict[str, tuple[RoleTrust | None, list[HopContext]]] = {}
        self.outside = OutsideEdges(inventory, self.environment)
        self._evaluations = 0

    @property
    def evaluations(self) -> int:
        return self._evaluations + self.outside.evaluations

    def trust_of(self, role: Role) -> tuple[RoleTrust | None, list[HopContext]]:
        """The role's trust grants and the distinct hop contexts of those covering sts:AssumeRole."""
        found = self._trusts.get(role.arn)
        if found is None:
            trust = self.trusts.trust(role)
            grants = [g for g in trust.grants if covers(g.statement, ASSUME_ROLE)] if trust else []
            denies = trust.denies if trust else ()
            hops = _distinct(hop_context(g.statement, denies, is_caller_chosen) for g in grants)
            found = self._trusts[role.arn] = (trust, hops)
        return found

    def edges_into(self, role: Role) -> tuple[EdgeGroup, ...]:
        trust, hops = self.trust_of(role)
        if trust is None:
            return ()  # an unreadable trust policy admits nobody; scans report it as an error
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

    def edge_from(self, principal: str, role: Role) -> EdgeGroup | None:
        """The edge from the loaded ``principal`` into ``role``, exactly as `edges_into` finds it (None: none)."""
        trust, hops = self.trust_of(role)
        if trust is None or not hops:
            return None
        if self._is_candidate(trust, principal):
            single = self._single(trust, principal, hops, exact=False)  # its class decides as its group would
            if single is not None:
                return single
        return next(self._session_groups(trust, hops, set(), only=principal), None)

    def _is_candidate(self, trust: RoleTrust, principal: str) -> bool:
        """Whether `_candidates` holds ``principal`` (named, or in a class of an account the trust admits)."""
        role_arn, role_account, account = trust.role.arn, trust.role.account_id, _account(principal)
        for grant in trust.grants:
            named = principal in grant.direct
            if named and (account == role_account or self.identities.may_allow(principal, role_arn)):
                return True
            if account in (self.inventory.accounts if grant.anyone else grant.accounts):
                if grant.anyone and account == role_account:
                    return True
                if self._account_groups(account).admits(principal, role_arn):
                    return True
        return False

    def _session_groups(
        self, trust: RoleTrust, hops: list[HopContext], reached: set[str], only: str | None = None
    ) -> Iterator[EdgeGroup]:
        """A trust policy that names a session of a loaded role: that role reaches it when its session takes
        the name (``assumed-role/ci-runner/deploy-bot``); decided by the evaluator for that session ARN."""
        sessions = sorted({pair for grant in trust.grants for pair in grant.sessions})
        for role_arn, session in sessions:
            if role_arn in reached or (only is not None and role_arn != only):
                continue  # the role reaches it whatever its session is called
            for hop in hops:
                context = {**self.environment, **hop.values}
                self._evaluations += 1
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
            self._evaluations += 1
            if can_assume(assembled.request).allowed:
                return index
        return None

    def _external_edge(self, trust: RoleTrust, name: str, action: str) -> Edge | None:
        if not self.prefilter:
            return self.outside.decide(trust, name, action)
        key = self.classes.outside_key(name, action, trust.role)
        if key not in self._decided_outside:
            self._decided_outside[key] = self.outside.decide(trust, name, action)
        found = self._decided_outside[key]
        return None if found is None else replace(found, target=trust.role.arn)


def _distinct(hops: Iterator[HopContext]) -> list[HopContext]:
    unique: dict[str, HopContext] = {}
    for hop in hops:
        unique.setdefault(repr(sorted(hop.values.items())), hop)
    return sorted(unique.values(), key=lambda hop: len(hop.requirements))


def _account(arn: str) -> str:
    return Arn.parse(arn).account
