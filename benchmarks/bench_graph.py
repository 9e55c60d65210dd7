"""Benchmark of the reachability graph: indexed candidates versus evaluating every (principal, role) pair.

Each run builds the graph of a generated inventory and asks who can assume every role. The brute force
(``prefilter=False``: every loaded principal through `can_assume` for every role) is measured on the small
inventory only, beside the indexed version on the same inventory (their results must be equal), and
estimated for the large one from the number of pairs it would evaluate.

    python -m benchmarks.bench_graph [--roles 2000] [--users 50] [--baseline-roles 300]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from benchmarks.generate import generate_inventory
from chalicelib.iam.graph import Reach, build_graph

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Run:
    roles: int
    users: int
    mode: str
    edges_seconds: float
    reach_seconds: float
    edges: int
    reaches: int
    results: dict[str, list[Reach]]

    @property
    def total(self) -> float:
        return self.edges_seconds + self.reach_seconds

    @property
    def pairs(self) -> int:
        return (self.roles + self.users) * self.roles

    def row(self) -> str:
        return (
            f"  {self.roles:>6} {self.users:>6}  {self.mode:<12} {self.edges:>8} {self.reaches:>9}"
            f" {self.edges_seconds:>10.2f}s {self.reach_seconds:>10.2f}s {self.total:>9.2f}s"
        )


def measure(roles: int, users: int, *, prefilter: bool) -> Run:
    inventory = generate_inventory(roles, users)
    start = time.perf_counter()
    graph = build_graph(inventory, now=NOW, prefilter=prefilter)
    edges = graph.all_edges()
    built = time.perf_counter()
    results = {arn: graph.who_can_assume(arn) for arn in edges}
    done = time.perf_counter()
    return Run(
        roles=roles,
        users=users,
        mode="indexed" if prefilter else "brute-force",
        edges_seconds=built - start,
        reach_seconds=done - built,
        edges=sum(len(e) for e in edges.values()),
        reaches=sum(len(r) for r in results.values()),
        results=results,
    )


def report(small_indexed: Run, small_brute: Run, large: Run) -> list[str]:
    same = small_indexed.results == small_brute.results
    ratio = small_brute.total / small_indexed.total
    # Only the edge search depends on the number of pairs; the walk over the edges is the same work.
    estimate = small_brute.edges_seconds * large.pairs / small_brute.pairs + large.reach_seconds
    return [
        "graph: build_graph + who_can_assume for every role (generated inventory, 4 accounts)",
        f"  {'roles':>6} {'users':>6}  {'mode':<12} {'edges':>8} {'reaches':>9}"
        f" {'edges':>11} {'walks':>11} {'total':>10}",
        small_indexed.row(),
        small_brute.row(),
        large.row(),
        f"  same results, indexed and brute force at {small_brute.roles} roles: {'yes' if same else 'NO'}",
        f"  brute force / indexed at {small_brute.roles} roles: {ratio:.1f}x",
        f"  brute force at {large.roles} roles, estimated from {small_brute.roles} by pairs evaluated: "
        f"{estimate:.0f}s, {estimate / large.total:.1f}x the indexed {large.total:.1f}s",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_graph", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--roles", type=int, default=2000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--baseline-roles", type=int, default=300)
    args = parser.parse_args(argv)
    small_indexed = measure(args.baseline_roles, args.users, prefilter=True)
    small_brute = measure(args.baseline_roles, args.users, prefilter=False)
    large = measure(args.roles, args.users, prefilter=True)
    print("\n".join(report(small_indexed, small_brute, large)), flush=True)
    return 0 if small_indexed.results == small_brute.results else 1


if __name__ == "__main__":
    raise SystemExit(main())
