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

DEFAULT_MAX_DEPTH = 5


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

    def __init__(
        self, inventory: Inventory, finder: EdgeFinder, groups: dict[str, tuple[EdgeGroup, ...]] | None = None
    ) -> None:
        self.inventory = inventory
        self._finder = finder
        self._groups: dict[str, tuple[EdgeGroup, ...]] = dict(groups or {})  # given: brought up to date
        self._edges: dict[str, tuple[Edge, ...]] = {}
        self._roles = {role.arn for role in inventory.roles()}
        self._out: dict[int, tuple[EdgeGroup, ...]] | None = None  # by id() of a shared sources tuple
        self._classes_of: dict[str, list[tuple[str, ...]]] = {}

    def groups_into(self, role_arn: str) -> tuple[EdgeGroup, ...]:
        """Who can assume ``role_arn`` in one hop, a decision class at a time."""
        if role_arn not in self._groups:
            role = self.inventory.role(role_arn)
            if role is None:
                raise InvalidRequestError(f"role {role_arn} is not in the loaded snapshots")
            self._groups[role_arn] = self._finder.edges_into(role)
        return self._groups[role_arn]

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
        out = self._compiled_out()
        for sources in self._classes_of.get(principal, ()):
            yield sources, out[id(sources)]

    def targets_of(self, principal: str) -> set[str]:
        """The roles ``principal`` can assume in one hop."""
        return {group.target for _, groups in self.out_groups(principal) for group in groups}

    def _compiled_out(self) -> dict[int, tuple[EdgeGroup, ...]]:
        if self._out is None:
            out: dict[int, list[EdgeGroup]] = {}
            for role in self.inventory.roles():
                for group in self.groups_into(role.arn):
                    found = out.get(id(group.sources))
                    if found is None:
                        found = out[id(group.sources)] = []
                        for source in group.sources:
                            self._classes_of.setdefault(source, []).append(group.sources)
                    found.append(group)
            self._out = {key: tuple(groups) for key, groups in out.items()}
        return self._out

    def all_edges(self) -> dict[str, tuple[Edge, ...]]:
        """The one-hop edges into every loaded role."""
        return {role.arn: self.edges_into(role.arn) for role in self.inventory.roles()}


def _extend(edge: Edge, reached: Reach) -> Reach:
    conditions = reached.conditions
    if edge.requirements:
        conditions = tuple(f"{edge.target} {requirement}" for requirement in edge.requirements) + conditions
    return Reach(edge.source, (edge.source, *reached.path), conditions)


def build_graph(inventory: Inventory, *, now: datetime | None = None, prefilter: bool = True) -> AssumeGraph:
    """The reachability graph of ``inventory``; ``now`` is the time conditions on aws:CurrentTime see."""
    finder = EdgeFinder(inventory, now=now or datetime.now(UTC), prefilter=prefilter)
    return AssumeGraph(inventory, finder)
