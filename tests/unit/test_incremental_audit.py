"""After a change, the findings `audit_changes` recomputes, plus the stored ones it does not cover, are exactly
a full audit of the changed inventory: every rule, every kind of change, random sequences of changes."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate_inventory
from benchmarks.generate_varied import generate_varied_inventory
from benchmarks.mutate import KINDS, mutate
from chalicelib.config import Config
from chalicelib.iam.entities import Inventory
from chalicelib.iam.graph import build_graph
from chalicelib.iam.graph_fingerprint import fingerprints
from chalicelib.iam.graph_patch import patch_graph
from chalicelib.iam.graph_store import dump_graph, load_graph
from chalicelib.rules.engine import audit_inventory
from chalicelib.rules.incremental import audit_changes

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ORGANIZATION = Config.model_validate({"organization_id": "o-bench12345"})
STRANGERS = Config()  # no organization: every other account is outside, so a changed caller makes entries


def _strangers(inventory: Inventory) -> Inventory:
    return Inventory(inventory.accounts.values())


SHAPES: dict[str, tuple[Callable[[int], Inventory], Config]] = {
    "plain-4-accounts": (lambda s: generate_inventory(40, 10, seed=s), ORGANIZATION),
    "plain-1-account": (lambda s: generate_inventory(30, 8, accounts=1, seed=s), ORGANIZATION),
    "varied-3-accounts": (lambda s: generate_varied_inventory(45, 15, seed=s), ORGANIZATION),
    "chains-4-accounts": (lambda s: generate_inventory(200, 50, seed=1 + s % 2), ORGANIZATION),  # 6-8 chains
    "strangers-4-accounts": (lambda s: _strangers(generate_inventory(40, 10, seed=s)), STRANGERS),
    "strangers-varied-3-accounts": (lambda s: _strangers(generate_varied_inventory(45, 15, seed=s)), STRANGERS),
}


def assert_update_is_full_audit(before: Inventory, after: Inventory, config: Config) -> None:
    old = audit_inventory(before, config, today=NOW.date())
    graph = build_graph(before, now=NOW)
    stored = load_graph(json.loads(json.dumps(dump_graph(fingerprints(before), graph.compiled()))))
    patched = patch_graph(after, stored, now=NOW, limit=10**6)
    assert patched is not None
    update = audit_changes(after, config, patched, old.findings, today=NOW.date())
    full = {f.id: f.model_dump() for f in audit_inventory(after, config, today=NOW.date()).findings}
    kept = {f.id: f.model_dump() for f in old.findings if not update.covers(f)}
    assert {**kept, **{f.id: f.model_dump() for f in update.findings}} == full


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_of_change(shape: str, kind: str) -> None:
    rng = random.Random(f"{shape}{kind}")
    build, config = SHAPES[shape]
    before = build(2)
    after, _ = mutate(before, rng, kind)
    assert_update_is_full_audit(before, after, config)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SHAPES)), st.integers(0, 10**6), st.integers(1, 4))
def test_random_changes(shape: str, seed: int, changes: int) -> None:
    rng = random.Random(seed)
    build, config = SHAPES[shape]
    before = after = build(seed % 4)
    for _ in range(changes):
        after, _ = mutate(after, rng)
    assert_update_is_full_audit(before, after, config)
