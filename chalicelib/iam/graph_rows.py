"""A compiled graph as numbers: what is kept between invocations and brought up to date (`graph_patch`).

At 10,000 roles a graph holds some 400,000 edge groups, but only a few thousand distinct decision classes and
(class, requirements, assumed values) *kinds*: each role keeps the kinds of its in-edges as an array of
numbers, and `EdgeGroup` objects are made only for the roles a rule asks about. Loading, patching and
storing then cost in proportion to the classes and arrays, not to Python objects per edge.

Invariants: a class is interned by value (equal tuples are one class, one object); each role's array is in
`EdgeGroup` order (by first source, stable), the order `EdgeFinder.edges_into` gives, so a graph read from
rows answers exactly as the graph it was made from.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .graph_types import EdgeGroup

Assumed = tuple[tuple[str, tuple[str, ...]], ...]
Kind = tuple[int, int, int]  # class, requirements, assumed: indexes into GraphRows' tables


def kinds_array(values: Iterable[int]) -> array[int]:
    return array("I", values)


@dataclass
class GraphRows:
    """Every role's in-edges: ``roles[arn]`` are indexes into ``kinds``, whose parts index the other tables."""

    classes: list[tuple[str, ...]] = field(default_factory=list)
    requirements: list[tuple[str, ...]] = field(default_factory=list)
    assumed: list[Assumed] = field(default_factory=list)
    kinds: list[Kind] = field(default_factory=list)
    roles: dict[str, array[int]] = field(default_factory=dict)
    _class_ids: dict[tuple[str, ...], int] = field(default_factory=dict, repr=False)
    _requirement_ids: dict[tuple[str, ...], int] = field(default_factory=dict, repr=False)
    _assumed_ids: dict[Assumed, int] = field(default_factory=dict, repr=False)
    _kind_ids: dict[Kind, int] = field(default_factory=dict, repr=False)

    @classmethod
    def from_tables(
        cls,
        classes: list[tuple[str, ...]],
        requirements: list[tuple[str, ...]],
        assumed: list[Assumed],
        kinds: list[Kind],
        roles: dict[str, array[int]],
    ) -> GraphRows:
        """Tables as read back (`graph_store`), whose classes are distinct."""
        rows = cls(classes, requirements, assumed, kinds, roles)
        rows._class_ids = {c: i for i, c in enumerate(classes)}
        rows._requirement_ids = {r: i for i, r in enumerate(requirements)}
        rows._assumed_ids = {a: i for i, a in enumerate(assumed)}
        rows._kind_ids = {k: i for i, k in enumerate(kinds)}
        return rows

    @classmethod
    def from_groups(cls, groups: Mapping[str, Iterable[EdgeGroup]]) -> GraphRows:
        rows = cls()
        by_object: dict[int, int] = {}  # classes are shared tuples: intern each object once
        keep = []  # the tuples whose id() is cached stay alive until the end
        for role, role_groups in groups.items():
            found = []
            for group in role_groups:
                class_id = by_object.get(id(group.sources))
                if class_id is None:
                    class_id = by_object[id(group.sources)] = rows._intern_class(group.sources)
                    keep.append(group.sources)
                found.append(rows._intern_kind(class_id, group.requirements, group.assumed))
            rows.roles[role] = kinds_array(found)
        return rows

    @classmethod
    def merged(cls, parts: Iterable[GraphRows]) -> GraphRows:
        """One graph from graphs of disjoint role sets (each account's in-edges, compiled on its own with the
        organization's callers): classes and kinds re-interned by value, each role's array kept in order."""
        rows = cls()
        for part in parts:
            for role, kinds in part.roles.items():
                if role in rows.roles:
                    raise ValueError(f"{role} is in two of the graphs to merge")
                rows.roles[role] = kinds_array(rows._intern_kind(rows._intern_class(part.classes[c]),
                                                                part.requirements[r], part.assumed[a])
                                               for c, r, a in map(part.kinds.__getitem__, kinds))  # fmt: skip
        return rows

    def copy(self) -> GraphRows:
        """A copy whose tables and role map can grow and change; the arrays are shared (replace, never edit)."""
        return GraphRows(list(self.classes), list(self.requirements), list(self.assumed), list(self.kinds),
                         dict(self.roles), dict(self._class_ids), dict(self._requirement_ids),
                         dict(self._assumed_ids), dict(self._kind_ids))  # fmt: skip

    # -- interning ------------------------------------------------------------------------------------------
    def intern(self, group: EdgeGroup) -> int:
        """The kind of ``group``'s in-edge (its target aside)."""
        return self._intern_kind(self._intern_class(group.sources), group.requirements, group.assumed)

    def intern_class(self, sources: tuple[str, ...]) -> int:
        return self._intern_class(sources)

    def _intern_class(self, sources: tuple[str, ...]) -> int:
        found = self._class_ids.get(sources)
        if found is None:
            found = self._class_ids[sources] = len(self.classes)
            self.classes.append(sources)
        return found

    def kind_with_class(self, kind: int, class_id: int) -> int:
        _, requirements, assumed = self.kinds[kind]
        return self._intern(self._kind_ids, self.kinds, (class_id, requirements, assumed))

    def _intern_kind(self, class_id: int, requirements: tuple[str, ...], assumed: Assumed) -> int:
        r = self._intern(self._requirement_ids, self.requirements, requirements)
        a = self._intern(self._assumed_ids, self.assumed, assumed)
        return self._intern(self._kind_ids, self.kinds, (class_id, r, a))

    @staticmethod
    def _intern(ids: dict, table: list, value: object) -> int:  # type: ignore[type-arg]
        found = ids.get(value)
        if found is None:
            found = ids[value] = len(table)
            table.append(value)
        return int(found)

    # -- reading --------------------------------------------------------------------------------------------
    def group(self, kind: int, role: str) -> EdgeGroup:
        class_id, requirements, assumed = self.kinds[kind]
        return EdgeGroup(self.classes[class_id], role, self.requirements[requirements], self.assumed[assumed])

    def groups(self, role: str) -> tuple[EdgeGroup, ...]:
        return tuple(self.group(kind, role) for kind in self.roles.get(role, ()))

    def ordered(self, kinds: Iterable[int]) -> array[int]:
        """Kinds in `EdgeGroup` order: by first source, ties kept as given."""
        classes, table = self.classes, self.kinds
        return kinds_array(sorted(kinds, key=lambda k: classes[table[k][0]][0]))

    def sources_of(self, kind: int) -> tuple[str, ...]:
        return self.classes[self.kinds[kind][0]]

    def compact(self) -> GraphRows:
        """The same rows without the classes and kinds no role uses any more (a patch leaves some behind)."""
        used = sorted({k for kinds in self.roles.values() for k in set(kinds)})
        if len(used) == len(self.kinds):
            return self
        classes = sorted({self.kinds[k][0] for k in used})
        class_map = {c: i for i, c in enumerate(classes)}
        kinds = [(class_map[self.kinds[k][0]], *self.kinds[k][1:]) for k in used]
        kind_map = [0] * len(self.kinds)
        for new, old in enumerate(used):
            kind_map[old] = new
        roles = {arn: kinds_array(map(kind_map.__getitem__, ks)) for arn, ks in self.roles.items()}
        picked = [self.classes[c] for c in classes]
        return GraphRows.from_tables(picked, self.requirements, self.assumed, kinds, roles)


@dataclass(frozen=True, slots=True)
class OutIndex:
    """What each principal can assume, by class: built in one pass over the arrays, in the order a graph of
    `EdgeGroup` objects gives (roles in inventory order, each role's groups in order)."""

    classes_of: dict[str, list[int]]  # principal -> its classes, first reached first
    out: dict[int, list[tuple[int, str]]]  # class -> (kind, target role), in role order


def out_index(rows: GraphRows, role_order: Iterable[str]) -> OutIndex:
    classes_of: dict[str, list[int]] = {}
    out: dict[int, list[tuple[int, str]]] = {}
    kinds, classes = rows.kinds, rows.classes
    for role in role_order:
        for kind in rows.roles.get(role, ()):
            class_id = kinds[kind][0]
            found = out.get(class_id)
            if found is None:
                found = out[class_id] = []
                for source in classes[class_id]:
                    classes_of.setdefault(source, []).append(class_id)
            found.append((kind, role))
    return OutIndex(classes_of, out)
