"""A compiled graph as plain JSON data, to keep between invocations and bring up to date (`graph_patch`).

What is kept: every role's edge groups, with the principal tuples of decision classes written once and
referenced by number (a class is shared by many roles), and the fingerprints of the inventory it was
compiled from. Reading checks the shape and raises `StoredGraphError` on anything unexpected: the caller then
compiles afresh, never works from a partial graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .graph_fingerprint import Fingerprints
from .graph_types import EdgeGroup

FORMAT = 2


class StoredGraphError(ValueError):
    """The stored data is not a compiled graph this version can read."""


@dataclass(frozen=True, slots=True)
class StoredGraph:
    fingerprints: Fingerprints
    groups: dict[str, tuple[EdgeGroup, ...]]  # by role ARN; equal class tuples are one object


def dump_graph(fingerprints: Fingerprints, groups: dict[str, tuple[EdgeGroup, ...]]) -> dict[str, Any]:
    names: dict[str, int] = {}
    classes: dict[int, int] = {}
    class_list: list[list[int]] = []
    texts: dict[tuple[str, ...], int] = {}
    assumed: dict[tuple[tuple[str, tuple[str, ...]], ...], int] = {}

    def class_of(sources: tuple[str, ...]) -> int:
        found = classes.get(id(sources))
        if found is None:
            found = classes[id(sources)] = len(class_list)
            class_list.append([names.setdefault(s, len(names)) for s in sources])
        return found

    def row(group: EdgeGroup) -> list[int]:
        requirement = texts.setdefault(group.requirements, len(texts))
        return [class_of(group.sources), requirement, assumed.setdefault(group.assumed, len(assumed))]

    edges = {role: [row(g) for g in role_groups] for role, role_groups in groups.items()}
    return {
        "format": FORMAT,
        "world": fingerprints.world,
        "principals": fingerprints.principals,
        "roles": fingerprints.roles,
        "unique_ids": fingerprints.unique_ids,
        "names": list(names),
        "classes": class_list,
        "requirements": [list(t) for t in texts],
        "assumed": [[[key, list(values)] for key, values in a] for a in assumed],
        "edges": edges,
    }


def load_graph(data: object) -> StoredGraph:
    try:
        return _load(data)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise StoredGraphError(f"stored graph unreadable: {type(exc).__name__}: {exc}") from None


def _load(data: Any) -> StoredGraph:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StoredGraphError(f"stored graph is not format {FORMAT}")
    names = _strings(data["names"])
    classes = [tuple(names[i] for i in _ints(c)) for c in data["classes"]]
    requirements = [tuple(_strings(t)) for t in data["requirements"]]
    assumed = [tuple((str(k), tuple(_strings(v))) for k, v in a) for a in data["assumed"]]
    groups: dict[str, tuple[EdgeGroup, ...]] = {}
    for role, rows in data["edges"].items():
        groups[str(role)] = tuple(EdgeGroup(classes[c], str(role), requirements[r], assumed[a]) for c, r, a in rows)
    if any(not sources for sources in classes):
        raise StoredGraphError("stored graph has an empty class")
    digests = (_digests(data[key]) for key in ("principals", "roles", "unique_ids"))
    prints = Fingerprints(str(data["world"]), *digests)
    return StoredGraph(prints, groups)


def _strings(values: Any) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise StoredGraphError("expected a list of strings")
    return values


def _ints(values: Any) -> list[int]:
    if not isinstance(values, list) or not all(isinstance(v, int) and v >= 0 for v in values):
        raise StoredGraphError("expected a list of indexes")
    return values


def _digests(values: Any) -> dict[str, str]:
    if not isinstance(values, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in values.items()):
        raise StoredGraphError("expected fingerprints by ARN")
    return values
