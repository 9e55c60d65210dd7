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

from dataclasses import dataclass
from datetime import datetime

from .arn import Arn
from .entities import Inventory, Role
from .graph import AssumeGraph
from .graph_edges import EdgeFinder
from .graph_fingerprint import VOLATILE, Fingerprints, fingerprints
from .graph_rows import GraphRows, kinds_array
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

    def moved(self, graph: AssumeGraph) -> set[str]:
        """Principals that gained or lost a changed role: those that keep it (whatever it now requires) still
        reach the same roles."""
        found: set[str] = set()
        for role in self.roles:
            after = graph.groups_into(role) if graph.inventory.role(role) else ()
            found |= {s for g in after for s in g.sources} ^ {s for g in self.before.get(role, ()) for s in g.sources}
        return found

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
    roles = changed(stored.fingerprints.roles, prints.roles) | (stored.rows.roles.keys() ^ prints.roles.keys())
    if len(principals) + len(roles) > limit:
        return None
    finder = EdgeFinder(inventory, now=now)
    rows = stored.rows.copy()
    for arn in roles - prints.roles.keys():
        rows.roles.pop(arn, None)
    dropped = _leave_classes(rows, frozenset(principals), roles) if principals else {}
    for role in inventory.roles():
        if role.arn in roles:
            rows.roles[role.arn] = kinds_array(rows.intern(g) for g in finder.edges_into(role))
    forward = ForwardIndex(finder) if principals else None
    if forward is not None:
        added: dict[str, list[int]] = {}
        for principal in sorted(p for p in principals if p in prints.principals):
            for role in forward.candidates(principal):
                edge = None if role.arn in roles else finder.edge_from(principal, role)
                if edge is not None:
                    added.setdefault(role.arn, []).append(rows.intern(edge))
        for arn, kinds in added.items():
            rows.roles[arn] = rows.ordered([*rows.roles[arn], *kinds])
    before = {r: stored.rows.groups(r) for r in roles}
    gone = stored.fingerprints.unique_ids.keys() - prints.principals.keys()
    removed_ids = frozenset(stored.fingerprints.unique_ids[arn] for arn in gone)
    targets = {p: frozenset(dropped.get(p, ())) for p in principals}
    delta = Delta(frozenset(principals), frozenset(roles), removed_ids, before, targets)
    return Patched(AssumeGraph(inventory, finder, rows), delta, prints, forward)


def _leave_classes(rows: GraphRows, principals: frozenset[str], roles: set[str]) -> dict[str, set[str]]:
    """The changed principals leave every stored class they were in (one new class per class, so classes stay
    shared); returns the roles each of them could assume before. Only the arrays that hold such a class are
    rewritten: finding them is a C-level set test per role."""
    leaving = {c: tuple(m for m in sources if m in principals) for c, sources in enumerate(rows.classes)
               if not principals.isdisjoint(sources)}  # fmt: skip
    translate: dict[int, int | None] = {}
    removed: dict[int, tuple[str, ...]] = {}
    for kind, (class_id, _, _) in enumerate(rows.kinds):
        if class_id in leaving:
            kept = tuple(m for m in rows.classes[class_id] if m not in principals)
            translate[kind] = rows.kind_with_class(kind, rows.intern_class(kept)) if kept else None
            removed[kind] = leaving[class_id]
    dropped: dict[str, set[str]] = {}
    if not translate:
        return dropped
    for arn, kinds in list(rows.roles.items()):
        if arn in roles or translate.keys().isdisjoint(kinds):
            continue  # a changed role is decided anew as a whole
        kept_kinds = []
        for kind in kinds:
            if kind in translate:
                for source in removed[kind]:
                    dropped.setdefault(source, set()).add(arn)
                new = translate[kind]
                if new is not None:
                    kept_kinds.append(new)
            else:
                kept_kinds.append(kind)
        rows.roles[arn] = rows.ordered(kept_kinds)
    return dropped
