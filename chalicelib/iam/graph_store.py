"""A compiled graph as plain JSON data, to keep between invocations and bring up to date (`graph_patch`).

What is kept: the tables of `graph_rows` (each decision class's principals written once, by number; the
distinct edge kinds) and every role's kinds as packed 32-bit numbers, with the fingerprints of the inventory
it was compiled from. Reading checks the shape and raises `StoredGraphError` on anything unexpected: the caller then
compiles afresh, never works from a partial graph.
"""

from __future__ import annotations

import base64
import binascii
import sys
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .graph_fingerprint import Fingerprints
from .graph_rows import GraphRows, Kind, kinds_array
from .graph_types import EdgeGroup

FORMAT = 3


class StoredGraphError(ValueError):
    """The stored data is not a compiled graph this version can read."""


@dataclass(frozen=True, slots=True)
class StoredGraph:
    fingerprints: Fingerprints
    rows: GraphRows


def dump_graph(fingerprints: Fingerprints, graph: GraphRows | Mapping[str, tuple[EdgeGroup, ...]]) -> dict[str, Any]:
    rows = (graph if isinstance(graph, GraphRows) else GraphRows.from_groups(graph)).compact()
    names: dict[str, int] = {}
    classes = [[names.setdefault(s, len(names)) for s in sources] for sources in rows.classes]
    arns = list(rows.roles)
    lengths = kinds_array(len(rows.roles[arn]) for arn in arns)
    flat = kinds_array(())
    for arn in arns:
        flat.extend(rows.roles[arn])
    return {
        "format": FORMAT,
        "world": fingerprints.world,
        "principals": fingerprints.principals,
        "roles": fingerprints.roles,
        "unique_ids": fingerprints.unique_ids,
        "names": list(names),
        "classes": classes,
        "requirements": [list(t) for t in rows.requirements],
        "assumed": [[[key, list(values)] for key, values in a] for a in rows.assumed],
        "kinds": [list(kind) for kind in rows.kinds],
        "role_arns": arns,
        "lengths": _pack(lengths),
        "rows": _pack(flat),
    }


def _pack(values: array[int]) -> str:
    """Little-endian unsigned 32-bit numbers, base64: a megabyte of edges is read back in milliseconds."""
    if sys.byteorder != "little":
        values = kinds_array(values)
        values.byteswap()
    return base64.b64encode(values.tobytes()).decode("ascii")


def _unpack(text: Any) -> array[int]:
    if not isinstance(text, str):
        raise StoredGraphError("expected packed numbers")
    values = kinds_array(())
    values.frombytes(base64.b64decode(text, validate=True))
    if sys.byteorder != "little":
        values.byteswap()
    return values


def load_graph(data: object) -> StoredGraph:
    try:
        return _load(data)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, binascii.Error) as exc:
        if isinstance(exc, StoredGraphError):
            raise
        raise StoredGraphError(f"stored graph unreadable: {type(exc).__name__}: {exc}") from None


def _load(data: Any) -> StoredGraph:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StoredGraphError(f"stored graph is not format {FORMAT}")
    names = _strings(data["names"])
    classes = [tuple(names[i] for i in _ints(c)) for c in data["classes"]]
    if any(not sources for sources in classes) or len(set(classes)) != len(classes):
        raise StoredGraphError("stored graph has an empty or repeated class")
    requirements = [tuple(_strings(t)) for t in data["requirements"]]
    assumed = [tuple((str(k), tuple(_strings(v))) for k, v in a) for a in data["assumed"]]
    kinds: list[Kind] = []
    for kind in data["kinds"]:
        c, r, a = _ints(kind)
        if c >= len(classes) or r >= len(requirements) or a >= len(assumed):
            raise StoredGraphError("stored graph has an edge kind out of its tables")
        kinds.append((c, r, a))
    arns, lengths, flat = _strings(data["role_arns"]), _unpack(data["lengths"]), _unpack(data["rows"])
    if len(lengths) != len(arns) or sum(lengths) != len(flat) or (flat and max(flat) >= len(kinds)):
        raise StoredGraphError("stored graph's rows do not match its roles and kinds")
    roles, start = {}, 0
    for arn, length in zip(arns, lengths, strict=True):
        roles[arn] = flat[start : start + length]
        start += length
    digests = (_digests(data[key]) for key in ("principals", "roles", "unique_ids"))
    prints = Fingerprints(str(data["world"]), *digests)
    return StoredGraph(prints, GraphRows.from_tables(classes, requirements, assumed, kinds, roles))


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
