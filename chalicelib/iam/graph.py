"""Reachability: who can assume each role, directly or through a chain of role assumptions (ASSUME_ROLE.md §8, §9).

Principals are the IAM users and roles of the loaded accounts, and the principals that trust policies name
outside them: the root of an account that is not loaded (standing for any principal of it), ``*`` (anyone),
identity providers and AWS services. An account that *is* loaded never appears as itself: its principal
expands to the users and roles of the account that the evaluator lets through.

A role in a path stands for *a session of that role*: the next hop is an AssumeRole call made with that
session's credentials (role chaining, §9). Every hop is decided by `can_assume` as an independent request, so
a cross-account hop needs the intermediate role's own identity policy to allow it (seed 000: foobar cannot
go on to foobaz until its policy grants sts:AssumeRole), while a same-account hop whose trust policy names the
intermediate role does not (seed 001). What the snapshot cannot show is not modelled: a session policy
passed on an earlier hop can only narrow a later one (so paths may over-approximate), transitive session
tags and source identity are not carried along, and chained sessions are capped at one hour (not an
authorization question).

Each hop's conditions that the caller meets by choice (ExternalId, MFA, source IP, session tags…) are
satisfied when evaluating it and listed in `Reach.conditions` (`graph_context`). Edges are found lazily, per
role, from candidates an index of the trust policies and identity policies admits (`graph_index`); with
``prefilter=False`` every loaded principal is evaluated against every role, the reference the tests and the
benchmark compare with.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from .entities import Inventory
from .errors import InvalidRequestError
from .graph_edges import Edge, EdgeFinder, EdgeGroup
from .graph_rows import GraphRows, OutIndex, out_index

DEFAULT_MAX_DEPTH = 5
_TARGETED = 8  # targets_of answered from the arrays before the whole out-index is built


@dataclass(frozen=True, slots=True)
class Reach:
    """``principal`` reaches the role along ``path`` (principal first, the role last, one hop per assumption),
    provided it meets ``conditions`` (each names the role of its hop)."""

    principal: str
    path: tuple[str, ...]
    conditions: tuple[str, ...]

    @property
    def hops(self) -> int:
        return len(self.path) - 1


class AssumeGraph:
    """The "who can assume me" edges of an inventory's roles, computed on first use and kept."""

    def __init__(self, inventory: Inventory, finder: EdgeFinder, rows: GraphRows | None = None) -> None:
        self.inventory = inventory
        self._finder = finder
        # Given: a stored graph brought up to date, every loaded role's in-edges as numbers (`graph_rows`);
        # otherwise made from the groups on first use, for what reads the graph a class at a time.
        self._rows = rows
        self._groups: dict[str, tuple[EdgeGroup, ...]] = {}
        self._edges: dict[str, tuple[Edge, ...]] = {}
        self._roles = {role.arn for role in inventory.roles()}
        self._index: OutIndex | None = None
        self._class_groups: dict[int, tuple[EdgeGroup, ...]] = {}
        self._targets: dict[str, frozenset[str]] = {}
        self._class_targets: dict[int, frozenset[str]] = {}

    def groups_into(self, role_arn: str) -> tuple[EdgeGroup, ...]:
        """Who can assume ``role_arn`` in one hop, a decision class at a time."""
        found = self._groups.get(role_arn)
        if found is None:
            role = self.inventory.role(role_arn)
            if role is None:
                raise InvalidRequestError(f"role {role_arn} is not in the loaded snapshots")
            rows = self._rows
            if rows is not None and role_arn in rows.roles:
                found = rows.groups(role_arn)
            else:
                found = self._finder.edges_into(role)
            self._groups[role_arn] = found
        return found

    def edges_into(self, role_arn: str) -> tuple[Edge, ...]:
        """Who can assume ``role_arn`` in one hop, sorted by principal (expanded once per role: walks reuse it)."""
        found = self._edges.get(role_arn)
        if found is None:
            edges = (e for g in self.groups_into(role_arn) for e in g.edges())
            found = self._edges[role_arn] = tuple(sorted(edges, key=lambda e: e.source))
        return found

    @property
    def finder(self) -> EdgeFinder:
        return self._finder

    def compiled(self) -> dict[str, tuple[EdgeGroup, ...]]:
        """Every role's edge groups (computing those not known yet), in inventory order."""
        return {role.arn: self.groups_into(role.arn) for role in self.inventory.roles()}

    def rows(self) -> GraphRows:
        """Every role's edge groups as numbers (`graph_rows`): what is stored between invocations, and what
        class-at-a-time reads (`out_groups`, `out_targets`, the outside entries) walk."""
        if self._rows is None:
            self._rows = GraphRows.from_groups(self.compiled())
        return self._rows

    def out_index(self) -> OutIndex:
        if self._index is None:
            self._index = out_index(self.rows(), (role.arn for role in self.inventory.roles()))
        return self._index

    @property
    def evaluations(self) -> int:
        """How many times the full evaluator ran so far."""
        return self._finder.evaluations

    def who_can_assume(self, role_arn: str, max_depth: int = DEFAULT_MAX_DEPTH) -> list[Reach]:
        """Every principal that reaches ``role_arn`` in at most ``max_depth`` hops, with its shortest path;
        sorted direct first, then by path length, then by principal."""
        if max_depth < 1:
            raise ValueError(f"max_depth must be at least 1, not {max_depth}")
        found: dict[str, Reach] = {}
        frontier = [Reach(role_arn, (role_arn,), ())]
        seen = {role_arn}
        for _ in range(max_depth):
            next_frontier: list[Reach] = []
            for reached in frontier:
                for edge in self.edges_into(reached.principal):  # by source: ties go to the first principal
                    if edge.source in seen:
                        continue  # already reached by a path at most as short: keeps BFS cycle-safe
                    seen.add(edge.source)
                    found[edge.source] = reach = _extend(edge, reached)
                    if edge.source in self._roles:
                        next_frontier.append(reach)
            frontier = next_frontier
        return sorted(found.values(), key=lambda r: (r.hops, r.principal))

    def out_groups(self, principal: str) -> Iterator[tuple[tuple[str, ...], tuple[EdgeGroup, ...]]]:
        """What ``principal`` can assume in one hop: each decision class it belongs to (the shared tuple of
        its members) with the edge groups of that class. Computes every role's edges on first use."""
        rows, index = self.rows(), self.out_index()
        for class_id in index.classes_of.get(principal, ()):
            found = self._class_groups.get(class_id)
            if found is None:
                found = self._class_groups[class_id] = tuple(rows.group(k, r) for k, r in index.out[class_id])
            yield rows.classes[class_id], found

    def out_targets(self, principal: str) -> Iterator[tuple[tuple[str, ...], frozenset[str]]]:
        """Like `out_groups`, only the set of target roles of each class (kept per class)."""
        rows, index = self.rows(), self.out_index()
        for class_id in index.classes_of.get(principal, ()):
            found = self._class_targets.get(class_id)
            if found is None:
                found = self._class_targets[class_id] = frozenset(role for _, role in index.out[class_id])
            yield rows.classes[class_id], found

    def targets_of(self, principal: str) -> frozenset[str]:
        """The roles ``principal`` can assume in one hop (kept: rules ask about the same callers often)."""
        found = self._targets.get(principal)
        if found is None:
            if self._index is None and self._rows is not None and len(self._targets) < _TARGETED:
                found = _targets_in(self._rows, principal)  # a few questions: cheaper than the whole index
            else:
                found = frozenset().union(*(targets for _, targets in self.out_targets(principal)))
            self._targets[principal] = found
        return found

    def all_edges(self) -> dict[str, tuple[Edge, ...]]:
        """The one-hop edges into every loaded role."""
        return {role.arn: self.edges_into(role.arn) for role in self.inventory.roles()}


def _targets_in(rows: GraphRows, principal: str) -> frozenset[str]:
    classes = {i for i, sources in enumerate(rows.classes) if principal in sources}
    kinds = {k for k, (class_id, _, _) in enumerate(rows.kinds) if class_id in classes}
    return frozenset(role for role, found in rows.roles.items() if not kinds.isdisjoint(found))


def _extend(edge: Edge, reached: Reach) -> Reach:
    conditions = reached.conditions
    if edge.requirements:
        conditions = tuple(f"{edge.target} {requirement}" for requirement in edge.requirements) + conditions
    return Reach(edge.source, (edge.source, *reached.path), conditions)


def build_graph(inventory: Inventory, *, now: datetime | None = None, prefilter: bool = True) -> AssumeGraph:
    """The reachability graph of ``inventory``; ``now`` is the time conditions on aws:CurrentTime see."""
    finder = EdgeFinder(inventory, now=now or datetime.now(UTC), prefilter=prefilter)
    return AssumeGraph(inventory, finder)
