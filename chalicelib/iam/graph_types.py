"""The graph's edges: one principal into one role, or a decision class of principals sharing one tuple."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


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
