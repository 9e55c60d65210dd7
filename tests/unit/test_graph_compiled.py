"""The compiled graph (one evaluation per decision class) is the brute force (every principal against every
role through `can_assume`): same edges, requirements, who-can-assume answers and findings, on generated
inventories of several shapes and seeds (conditions on names and tags, Deny carve-outs, boundaries, a
missing boundary, SCPs, RCPs, a management account, sessions, policy variables, cross-account chains)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate_inventory
from benchmarks.generate_varied import generate_varied_inventory
from chalicelib.iam.assemble import request_for
from chalicelib.iam.entities import Account, Inventory, Role
from chalicelib.iam.evaluate import can_assume
from chalicelib.iam.graph import build_graph
from chalicelib.iam.graph_closure import ForwardClosure
from chalicelib.iam.policy import PolicyDocument, parse_policy
from chalicelib.rules.engine import audit_inventory

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SHAPES = [
    pytest.param(lambda s: generate_inventory(40, 10, seed=s), id="plain-4-accounts"),
    pytest.param(lambda s: generate_inventory(30, 8, accounts=1, seed=s), id="plain-1-account"),
    pytest.param(lambda s: generate_varied_inventory(45, 15, seed=s), id="varied-3-accounts"),
    pytest.param(lambda s: generate_varied_inventory(30, 10, accounts=2, seed=s), id="varied-2-accounts"),
]


def assert_same_graph(inventory: Inventory) -> None:
    compiled = build_graph(inventory, now=NOW)
    brute = build_graph(inventory, now=NOW, prefilter=False)
    edges = compiled.all_edges()
    assert edges == brute.all_edges()  # sources, targets, requirements and assumed keys alike
    for role in edges:
        assert compiled.who_can_assume(role) == brute.who_can_assume(role)
    for principal in {e.source for found in edges.values() for e in found}:
        assert compiled.targets_of(principal) == brute.targets_of(principal)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_compiled_edges_and_answers_are_the_brute_force(shape: object, seed: int) -> None:
    inventory = shape(seed)  # type: ignore[operator]
    assert_same_graph(inventory)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", [4, 5])
def test_compiled_findings_are_the_brute_force(shape: object, seed: int) -> None:
    inventory = shape(seed)  # type: ignore[operator]
    compiled = audit_inventory(inventory, today=NOW.date())
    brute = audit_inventory(inventory, today=NOW.date(), exhaustive=True)
    assert [f.model_dump() for f in compiled.findings] == [f.model_dump() for f in brute.findings]
    assert {f.rule_id for f in compiled.findings} >= {"broad-assume-permission", "account-root-trust"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    roles=st.integers(6, 40),
    users=st.integers(3, 12),  # at least one user and role per account
    accounts=st.integers(1, 3),
)
def test_any_generated_inventory_compiles_to_the_brute_force(seed: int, roles: int, users: int, accounts: int) -> None:
    assert_same_graph(generate_varied_inventory(roles, users, accounts=accounts, seed=seed))


def test_the_varied_shape_exercises_what_splits_classes() -> None:
    # GIVEN the varied inventory, WHEN compiled, THEN edges exist behind name, tag and session conditions,
    # and the evaluator ran far less often than once per candidate pair
    requirements: set[str] = set()
    for seed in (1, 2, 3):
        inventory = generate_varied_inventory(120, 40, seed=seed)
        compiled, brute = build_graph(inventory, now=NOW), build_graph(inventory, now=NOW, prefilter=False)
        edges = compiled.all_edges()
        brute.all_edges()
        requirements |= {r for found in edges.values() for e in found for r in e.requirements}
        assert compiled.evaluations * 5 < brute.evaluations
    assert any("aws:RequestTag/project" in r for r in requirements)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_closure_is_a_walk_over_every_edge(seed: int) -> None:
    # GIVEN a compiled graph, WHEN the bit-set closure is taken, THEN every role reaches exactly what a plain
    # breadth-first walk over the expanded edges reaches (chains of any length)
    inventory = generate_varied_inventory(60, 15, seed=seed)
    graph = build_graph(inventory, now=NOW)
    roles = {role.arn for role in inventory.roles()}
    out: dict[str, set[str]] = {}
    for target, found in graph.all_edges().items():
        for edge in found:
            out.setdefault(edge.source, set()).add(target)
    closure = ForwardClosure(graph)
    for role in roles:
        seen: set[str] = set()
        frontier = [role]
        while frontier:
            frontier = [t for r in frontier for t in out.get(r, ()) if t not in seen and not seen.add(t)]  # type: ignore[func-returns-value]
        assert set(closure.members(closure.reach(role))) == seen, role


@pytest.mark.parametrize("prefilter", [True, False], ids=["compiled", "brute-force"])
def test_a_trusted_session_is_reached_by_its_role_under_that_name(prefilter: bool) -> None:
    # GIVEN deploy trusting only the session deploy-bot of ci-runner, and ci-runner trusted by its account
    account = "111111111111"
    runner_arn, target_arn = f"arn:aws:iam::{account}:role/ci-runner", f"arn:aws:iam::{account}:role/deploy"
    session = f"arn:aws:sts::{account}:assumed-role/ci-runner/deploy-bot"

    def trusting(principal: str) -> PolicyDocument:
        statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
        return parse_policy({"Version": "2012-10-17", "Statement": [statement]})

    runner = Role(arn=runner_arn, name="ci-runner", unique_id="AROACIRUNNER00000001", trust_policy=trusting(account))
    target = Role(arn=target_arn, name="deploy", unique_id="AROADEPLOY0000000001", trust_policy=trusting(session))
    inventory = Inventory([Account(account, roles={runner_arn: runner, target_arn: target})])
    # WHEN the graph is asked who can assume deploy, THEN it agrees with the evaluator for that session: ci-runner
    # reaches it, naming its session deploy-bot
    assert can_assume(request_for(inventory, session, target_arn).request).allowed
    reaches = build_graph(inventory, now=NOW, prefilter=prefilter).who_can_assume(target_arn)
    assert [(r.principal, r.conditions) for r in reaches] == [
        (runner_arn, (f"{target_arn} requires role session name deploy-bot",))
    ]
