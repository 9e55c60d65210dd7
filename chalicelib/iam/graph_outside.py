"""Chains from outside: where an outside principal first gets in (the entry role) and what it reaches from there.

One pass over the compiled graph finds every entry: an edge into a loaded role whose source is outside (a
principal of an account the caller's judgement calls outside, or anyone). From each entry role a forward walk
follows role chaining (ASSUME_ROLE.md §9), chains of any length, a decision class at a time: every member of
a class can assume the same roles, so a class is expanded once per walk, at the first (shortest) member that
reaches it. What the walk reaches beyond the entry is what that one grant exposes; cutting it there removes
the whole chain. How many roles that is comes from `graph_closure`; the walk only finds the chains to show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .graph import AssumeGraph, Reach
from .graph_edges import EdgeGroup

# The outside account ("*" for anyone) a source is in, relative to the role it reaches; None: not outside.
OutsideJudge = Callable[[EdgeGroup], str | None]


@dataclass(frozen=True, slots=True)
class Entry:
    """``account`` gets into ``role`` in one hop through ``edges`` (its principals that do, best first)."""

    account: str
    role: str
    edges: tuple[EdgeGroup, ...]

    @property
    def principal(self) -> str:
        return self.edges[0].sources[0]

    @property
    def principals(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(source for edge in self.edges for source in edge.sources))


def entries(graph: AssumeGraph, outside: OutsideJudge) -> list[Entry]:
    """Every (outside account, entry role), in role order; the principals sorted fewest requirements first.
    Judged once per edge kind and role account (a verdict reads only the sources, the assumed values and the
    role's account), so hundreds of thousands of edges cost dictionary lookups, not `EdgeGroup` objects."""
    rows, index = graph.rows(), graph.out_index()
    account_of = {role.arn: role.account_id for role in graph.inventory.roles()}
    verdicts: dict[tuple[int, str], str | None] = {}
    found: dict[tuple[str, str], list[EdgeGroup]] = {}
    for pairs in index.out.values():
        for kind, role in pairs:
            key = (kind, account_of[role])
            if key in verdicts:
                account = verdicts[key]
                if account is None:
                    continue
            else:
                account = verdicts[key] = outside(rows.group(kind, role))
                if account is None:
                    continue
            found.setdefault((account, role), []).append(rows.group(kind, role))
    order = {arn: i for i, arn in enumerate(account_of)}
    return [
        Entry(account, role, tuple(sorted(groups, key=lambda g: (len(g.requirements), g.sources[0]))))
        for (account, role), groups in sorted(found.items(), key=lambda item: (order[item[0][1]], item[0][0]))
    ]


@dataclass(frozen=True, slots=True)
class Reached:
    """What an entry's principal reaches beyond the entry role: the roles in order of chain length, and for
    each the hop that first reached it, so the chain of any of them is rebuilt on demand."""

    entry: Entry
    roles: tuple[str, ...]
    _via: dict[str, tuple[str, EdgeGroup]]

    def chain(self, role: str) -> Reach:
        """The shortest chain to ``role``: the outside principal first, with what every hop still requires."""
        hops: list[EdgeGroup] = []
        while role in self._via:
            previous, group = self._via[role]
            hops.append(group)
            role = previous
        hops.append(self.entry.edges[0])
        hops.reverse()
        path = (self.entry.principal, *(group.target for group in hops))
        needs = tuple(f"{group.target} {requirement}" for group in hops for requirement in group.requirements)
        return Reach(self.entry.principal, path, needs)


def reached_from(
    graph: AssumeGraph, entry: Entry, wanted: Callable[[str], bool], *, must: frozenset[str], enough: int
) -> Reached:
    """Breadth first from the entry role along role chaining, collecting the roles ``wanted`` accepts; stops
    once it holds every role of ``must`` and at least ``enough`` roles (or reached everything)."""
    via: dict[str, tuple[str, EdgeGroup]] = {}
    order: list[str] = []
    seen = {entry.role}
    expanded: set[int] = set()
    frontier = [entry.role]
    missing = set(must)
    while frontier and (missing or len(order) < enough):
        next_frontier: list[str] = []
        layer: list[str] = []
        for role in sorted(frontier):  # in order, so a tie between parents always goes the same way
            for sources, groups in graph.out_groups(role):
                if id(sources) in expanded:
                    continue  # the class was expanded at a member reached no later: its targets are known
                expanded.add(id(sources))
                for group in groups:
                    if group.target not in seen:
                        seen.add(group.target)
                        via[group.target] = (role, group)
                        next_frontier.append(group.target)
                        if wanted(group.target):
                            layer.append(group.target)
                            missing.discard(group.target)
        order += sorted(layer)
        frontier = next_frontier
    return Reached(entry, tuple(order), via)
