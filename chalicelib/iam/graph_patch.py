"""Bring a stored compiled graph up to date with a fresh inventory: work in proportion to what changed.

The fingerprints (`graph_fingerprint`) say which principals (as callers) and which roles (as targets) differ
from the stored graph, including those added and removed. An edge depends only on its two ends, so every
other edge stands: a changed principal leaves every stored class it was in and its out-edges are decided
anew (`EdgeFinder.edge_from`, candidates from `ForwardIndex`); a changed role's in-edges are decided anew
(`EdgeFinder.edges_into`). A different world (accounts, organization, SCPs, RCPs) or more changes than
``limit`` gives None: compiling afresh is then the cheaper, and the only safe, way. The tests compare the
result with a graph compiled from scratch after random changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .arn import Arn
from .entities import Inventory, Role
from .graph import AssumeGraph
from .graph_edges import EdgeFinder
from .graph_fingerprint import VOLATILE, Fingerprints, fingerprints
from .graph_store import StoredGraph
from .graph_types import EdgeGroup


@dataclass(frozen=True, slots=True)
class Delta:
    """What differs from the stored graph: principals whose out-edges and roles whose in-edges were decided
    anew (added and removed ones included), and the stored in-edges of those roles."""

    principals: frozenset[str]
    roles: frozenset[str]
    removed_ids: frozenset[str]  # unique ids of removed principals: trust policies that name them now dangle
    before: dict[str, tuple[EdgeGroup, ...]]  # stored in-edges of the changed roles
    dropped: dict[str, frozenset[str]]  # stored targets of the changed principals

    def sources(self, graph: AssumeGraph) -> set[str]:
        """Principals whose reach changed through a changed role: the sources of its in-edges, before and after."""
        current = [g for r in self.roles if graph.inventory.role(r) for g in graph.groups_into(r)]
        return {s for g in (*current, *(g for gs in self.before.values() for g in gs)) for s in g.sources}

    def targets(self, graph: AssumeGraph) -> dict[str, set[str]]:
        """Each changed principal's targets, before and after the change."""
        return {p: set(self.dropped.get(p, ())) | set(graph.targets_of(p)) for p in self.principals}


@dataclass(frozen=True, slots=True)
class Patched:
    graph: AssumeGraph
    delta: Delta
    fingerprints: Fingerprints
    forward: ForwardIndex | None = None  # built when principals changed; the change audit reuses it


class ForwardIndex:
    """The roles whose trust policies may admit a loaded principal: naming it or its sessions, or its account."""

    def __init__(self, finder: EdgeFinder) -> None:
        self._named: dict[str, list[Role]] = {}
        self._accounts: dict[str, list[Role]] = {}
        self._anyone: list[Role] = []
        for role in finder.inventory.roles():
            trust, hops = finder.trust_of(role)
            if trust is None or not hops:
                continue
            named = {p for g in trust.grants for p in g.direct} | {r for g in trust.grants for r, _ in g.sessions}
            for principal in named:
                self._named.setdefault(principal, []).append(role)
            for account in {a for g in trust.grants for a in g.accounts}:
                self._accounts.setdefault(account, []).append(role)
            if any(g.anyone for g in trust.grants):
                self._anyone.append(role)

    def named(self, principal: str) -> list[Role]:
        """Roles whose trust policy names ``principal`` (or one of its sessions) itself."""
        return list(self._named.get(principal, ()))

    def candidates(self, principal: str) -> list[Role]:
        account = Arn.parse(principal).account
        found = {r.arn: r for r in (*self._named.get(principal, ()), *self._accounts.get(account, ()), *self._anyone)}
        return list(found.values())


def changed(stored: dict[str, str], current: dict[str, str]) -> set[str]:
    """Keys added, removed, or with another digest (a volatile one always counts as changed)."""
    return {k for k, v in current.items() if v == VOLATILE or stored.get(k) != v} | (stored.keys() - current.keys())


def patch_graph(inventory: Inventory, stored: StoredGraph, *, now: datetime, limit: int) -> Patched | None:
    prints = fingerprints(inventory)
    if prints.world == VOLATILE or prints.world != stored.fingerprints.world:
        return None
    principals = changed(stored.fingerprints.principals, prints.principals)
    roles = changed(stored.fingerprints.roles, prints.roles) | (stored.groups.keys() ^ prints.roles.keys())
    if len(principals) + len(roles) > limit:
        return None
    finder = EdgeFinder(inventory, now=now)
    groups: dict[str, list[EdgeGroup]] = {}
    without = _Without(frozenset(principals))
    dropped: dict[str, set[str]] = {p: set() for p in principals}
    for role in inventory.roles():
        if role.arn in roles:
            groups[role.arn] = list(finder.edges_into(role))
            continue
        kept = groups[role.arn] = []
        for group in stored.groups[role.arn]:
            for source in without.removed(group.sources):
                dropped[source].add(role.arn)
            sources = without(group.sources)
            if sources:
                kept.append(group if sources is group.sources else EdgeGroup(sources, *_rest(group)))
    forward = ForwardIndex(finder) if principals else None
    if forward is not None:
        for principal in sorted(p for p in principals if p in prints.principals):
            for role in forward.candidates(principal):
                edge = None if role.arn in roles else finder.edge_from(principal, role)
                if edge is not None:
                    groups[role.arn].append(edge)
    compiled = {arn: tuple(sorted(found, key=lambda g: g.sources[0])) for arn, found in groups.items()}
    before = {r: stored.groups.get(r, ()) for r in roles}
    gone = stored.fingerprints.unique_ids.keys() - prints.principals.keys()
    removed_ids = frozenset(stored.fingerprints.unique_ids[arn] for arn in gone)
    targets = {p: frozenset(t) for p, t in dropped.items()}
    delta = Delta(frozenset(principals), frozenset(roles), removed_ids, before, targets)
    return Patched(AssumeGraph(inventory, finder, compiled), delta, prints, forward)


def _rest(group: EdgeGroup) -> tuple[str, tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...]]:
    return group.target, group.requirements, group.assumed


class _Without:
    """Class tuples without the changed principals: one new tuple per stored class, so classes stay shared."""

    def __init__(self, principals: frozenset[str]) -> None:
        self.principals = principals
        self._done: dict[int, tuple[str, ...]] = {}

    def __call__(self, sources: tuple[str, ...]) -> tuple[str, ...]:
        found = self._done.get(id(sources))
        if found is None:
            kept = tuple(s for s in sources if s not in self.principals)
            found = self._done[id(sources)] = sources if len(kept) == len(sources) else kept
        return found

    def removed(self, sources: tuple[str, ...]) -> Iterable[str]:
        return (s for s in sources if s in self.principals) if self(sources) is not sources else ()
