"""A stored graph brought up to date (`graph_patch`) is the graph compiled afresh from the changed inventory:
same edges, requirements, who-can-assume answers and targets, after random changes of every kind, through a
JSON round trip of the stored form. Also: a different world or too many changes is refused (full compile)."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate_inventory
from benchmarks.generate_varied import generate_varied_inventory
from benchmarks.mutate import KINDS, mutate
from chalicelib.iam.entities import Inventory
from chalicelib.iam.graph import build_graph
from chalicelib.iam.graph_fingerprint import fingerprints
from chalicelib.iam.graph_patch import patch_graph
from chalicelib.iam.graph_store import StoredGraph, StoredGraphError, dump_graph, load_graph

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SHAPES = {
    "plain-4-accounts": lambda s: generate_inventory(40, 10, seed=s),
    "plain-1-account": lambda s: generate_inventory(30, 8, accounts=1, seed=s),
    "varied-3-accounts": lambda s: generate_varied_inventory(45, 15, seed=s),
}


def stored(inventory: Inventory) -> StoredGraph:
    graph = build_graph(inventory, now=NOW)
    return load_graph(json.loads(json.dumps(dump_graph(fingerprints(inventory), graph.compiled()))))


def assert_patched_is_fresh(before: Inventory, after: Inventory) -> None:
    patched = patch_graph(after, stored(before), now=NOW, limit=10**6)
    assert patched is not None
    fresh = build_graph(after, now=NOW)
    edges = patched.graph.all_edges()
    assert edges == fresh.all_edges()
    for role in edges:
        assert patched.graph.who_can_assume(role) == fresh.who_can_assume(role)
    for principal in {e.source for found in edges.values() for e in found}:
        assert patched.graph.targets_of(principal) == fresh.targets_of(principal)


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_of_change(shape: str, kind: str) -> None:
    rng = random.Random(f"{shape}{kind}")
    before = SHAPES[shape](3)
    after, _ = mutate(before, rng, kind)
    after, _ = mutate(after, rng, kind)
    assert_patched_is_fresh(before, after)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SHAPES)), st.integers(0, 10**6), st.integers(1, 6))
def test_random_changes(shape: str, seed: int, changes: int) -> None:
    rng = random.Random(seed)
    before = SHAPES[shape](seed % 5)
    after = before
    for _ in range(changes):
        after, _ = mutate(after, rng)
    assert_patched_is_fresh(before, after)


def test_only_the_changed_part_is_decided_again() -> None:
    before = generate_inventory(200, 50, seed=2)
    after, what = mutate(before, random.Random(1), "user-policy")
    patched = patch_graph(after, stored(before), now=NOW, limit=100)
    assert patched is not None
    assert patched.delta.principals == {what.split()[1]} and not patched.delta.roles
    fresh = build_graph(after, now=NOW)
    fresh.all_edges()
    assert patched.graph.evaluations * 5 < fresh.evaluations


def test_a_different_world_or_too_many_changes_compiles_afresh() -> None:
    before = generate_varied_inventory(30, 10, seed=1)
    org = before.organization
    changed_org = Inventory(before.accounts.values(), replace(org, rcps={}))
    assert patch_graph(changed_org, stored(before), now=NOW, limit=100) is None
    after = before
    rng = random.Random(5)
    for _ in range(8):
        after, _ = mutate(after, rng, "user-policy")
    assert patch_graph(after, stored(before), now=NOW, limit=2) is None


@pytest.mark.parametrize(
    "data",
    [None, [], {"format": 99}, {"format": 2}, {"format": 2, "names": [1], "classes": [], "requirements": [],
     "assumed": [], "edges": {}, "world": "", "principals": {}, "roles": {}, "unique_ids": {}}],
)  # fmt: skip
def test_unreadable_stored_graph_is_refused(data: object) -> None:
    with pytest.raises(StoredGraphError):
        load_graph(data)
