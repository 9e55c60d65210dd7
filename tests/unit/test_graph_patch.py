"""A stored graph brought up to date (`graph_patch`) is the graph compiled afresh from the changed inventory:
same edges, requirements, who-can-assume answers and targets, after random changes of every kind, through a
JSON round trip of the stored form. Also: a different world or too many changes is refused (full compile)."""

from __future__ import annotations

import base64
import copy
import json
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate_inventory
from benchmarks.generate_varied import generate_varied_inventory
from benchmarks.mutate import KINDS, mutate
from chalicelib.iam.entities import Inventory, NamedPolicy, PolicyLevel
from chalicelib.iam.graph import AssumeGraph, build_graph
from chalicelib.iam.graph_fingerprint import VOLATILE, fingerprints
from chalicelib.iam.graph_patch import patch_graph
from chalicelib.iam.graph_rows import GraphRows
from chalicelib.iam.graph_store import StoredGraph, StoredGraphError, dump_graph, load_graph
from chalicelib.iam.policy import parse_policy

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


def _dumped() -> dict[str, object]:
    inventory = generate_inventory(30, 8, accounts=2, seed=4)
    data: dict[str, object] = json.loads(
        json.dumps(dump_graph(fingerprints(inventory), build_graph(inventory, now=NOW).rows()))
    )
    return data


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.update(rows="not base64!"),
        lambda d: d.update(lengths=base64.b64encode(b"\x01\x00\x00\x00").decode()),  # one role's length only
        lambda d: d.update(kinds=[[0, 0, 0]] if d["kinds"] else []),  # rows point past the kinds
        lambda d: d.update(kinds=[[len(d["classes"]), 0, 0], *d["kinds"][1:]]),  # a kind past the classes
        lambda d: d.update(classes=[d["classes"][0], *d["classes"]]),  # a class twice
        lambda d: d.update(role_arns=d["role_arns"][1:]),
    ],
)
def test_damaged_packed_rows_are_refused(damage: Callable[[dict[str, object]], None]) -> None:
    data = _dumped()
    load_graph(copy.deepcopy(data))  # intact, it reads
    damage(data)
    with pytest.raises(StoredGraphError):
        load_graph(data)


def test_rows_keep_every_role_s_groups_in_order_and_compact_drops_what_no_role_uses() -> None:
    inventory = generate_varied_inventory(45, 15, seed=2)
    graph = build_graph(inventory, now=NOW)
    rows = load_graph(_round_trip(inventory, graph)).rows
    assert {arn: rows.groups(arn) for arn in rows.roles} == graph.compiled()
    used = rows.copy()
    first = next(arn for arn, kinds in used.roles.items() if kinds)
    used.roles[first] = used.roles[first][:0]  # a role that lost its edges leaves kinds nobody uses
    compacted = used.compact()
    assert len(compacted.kinds) < len(used.kinds)
    assert {arn: compacted.groups(arn) for arn in compacted.roles} == {arn: used.groups(arn) for arn in used.roles}


def _round_trip(inventory: Inventory, graph: AssumeGraph) -> object:
    return json.loads(json.dumps(dump_graph(fingerprints(inventory), graph.rows())))


BEFORE_2030 = {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}
TIMED_GRANT = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*", "Condition": BEFORE_2030}
TIMED = {"Version": "2012-10-17", "Statement": [{**TIMED_GRANT, "Principal": {"AWS": "*"}}]}
TIMED_IDENTITY = {"Version": "2012-10-17", "Statement": [TIMED_GRANT]}


def test_what_reads_the_time_is_decided_anew_on_every_run() -> None:
    before = generate_inventory(30, 8, accounts=1, seed=6)
    account = next(iter(before.accounts.values()))
    role = next(iter(account.roles.values()))
    timed_role = replace(role, trust_policy=parse_policy(TIMED))
    user = next(iter(account.users.values()))
    timed_user = replace(user, inline_policies=(NamedPolicy("timed", parse_policy(TIMED_IDENTITY)),))
    roles, users = {**account.roles, role.arn: timed_role}, {**account.users, user.arn: timed_user}
    timed = Inventory([replace(account, roles=roles, users=users)], before.organization)
    patched = patch_graph(timed, stored(timed), now=NOW, limit=100)  # nothing changed, yet both sides are redone
    assert patched is not None and patched.delta.roles == {role.arn} and patched.delta.principals == {user.arn}
    scp = PolicyLevel("Root", (NamedPolicy("timed", parse_policy(TIMED_IDENTITY)),))
    org = replace(before.organization, scps={account.account_id: (scp,)})
    with_scp = Inventory(before.accounts.values(), org)
    assert fingerprints(with_scp).world == VOLATILE
    assert patch_graph(with_scp, stored(with_scp), now=NOW, limit=100) is None


def test_accounts_compiled_on_their_own_merge_into_the_organization_s_graph() -> None:
    """The unit an organization-wide analysis fans out: one account's in-edges, decided with every caller of
    the organization; the merged parts answer exactly as the graph compiled in one go."""
    inventory = generate_varied_inventory(45, 15, seed=7)
    whole = build_graph(inventory, now=NOW)
    parts = []
    for account in inventory.accounts.values():
        alone = build_graph(inventory, now=NOW)  # a fresh compile per account, as a separate worker would do
        parts.append(GraphRows.from_groups({arn: alone.groups_into(arn) for arn in account.roles}))
    merged = AssumeGraph(inventory, build_graph(inventory, now=NOW).finder, GraphRows.merged(parts))
    assert len(parts) > 1 and merged.all_edges() == whole.all_edges()
    for role in merged.all_edges():
        assert merged.who_can_assume(role) == whole.who_can_assume(role)
    principals = {e.source for found in whole.all_edges().values() for e in found}
    assert all(merged.targets_of(p) == whole.targets_of(p) for p in principals)
    with pytest.raises(ValueError, match="two of the graphs"):
        GraphRows.merged([parts[0], parts[0]])
