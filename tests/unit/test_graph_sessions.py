"""A trust policy naming a role session (``assumed-role/ROLE/SESSION``) in the graph (issue 8 #5): the role whose
session it is reaches the trusting role under that session name, and whoever reaches the role reaches on, in
agreement with the evaluator for each hop."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chalicelib.cli import main
from chalicelib.iam.assemble import request_for
from chalicelib.iam.entities import Inventory
from chalicelib.iam.evaluate import can_assume
from chalicelib.iam.graph import build_graph
from chalicelib.iam.graph_closure import ForwardClosure
from chalicelib.inventory.snapshot import load_snapshots

NOW = datetime(2026, 1, 1, tzinfo=UTC)
A, B = "111111111111", "222222222222"
ALICE = f"arn:aws:iam::{A}:user/alice"
RUNNER = f"arn:aws:iam::{A}:role/ci-runner"
SESSION = f"arn:aws:sts::{A}:assumed-role/ci-runner/deploy-bot"


def trust(principal: str) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    return {"Version": "2012-10-17", "Statement": [statement]}


def allow_assume(*roles: str) -> list[dict[str, Any]]:
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": list(roles)}
    return [{"PolicyName": "assume", "PolicyDocument": {"Version": "2012-10-17", "Statement": [statement]}}]


def role(arn: str, trusted: str, policies: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    name = arn.rsplit("/", 1)[1]
    return {
        "Path": "/",
        "RoleName": name,
        "RoleId": f"AROA{name.upper().replace('-', '')}".ljust(21, "0"),
        "Arn": arn,
        "AssumeRolePolicyDocument": trust(trusted),
        "RolePolicyList": policies or [],
        "AttachedManagedPolicies": [],
        "Tags": [],
    }


def snapshots(tmp_path: Path, target: str) -> list[str]:
    """alice may assume ci-runner (her account trusts it, her policy allows it); target trusts only the session
    deploy-bot of ci-runner, which may assume target by its own policy (needed when target is in another account)."""
    alice: dict[str, Any] = {"Path": "/", "UserName": "alice", "UserId": "AIDAALICE000000000001", "Arn": ALICE}
    alice |= {"UserPolicyList": allow_assume(RUNNER), "GroupList": [], "AttachedManagedPolicies": [], "Tags": []}
    roles = {A: [role(RUNNER, A, allow_assume(target))], B: []}
    roles[target.split(":")[4]].append(role(target, SESSION))
    files = []
    for account, found in ((a, r) for a, r in roles.items() if r):
        document = {"UserDetailList": [alice] if account == A else [], "GroupDetailList": [], "Policies": []}
        path = tmp_path / f"{account}.json"
        path.write_text(json.dumps(document | {"RoleDetailList": found}), encoding="utf-8")
        files.append(str(path))
    return files


TARGETS = [
    pytest.param(f"arn:aws:iam::{A}:role/deploy", id="same-account"),
    pytest.param(f"arn:aws:iam::{B}:role/deploy", id="cross-account"),
]


@pytest.mark.parametrize("prefilter", [True, False], ids=["compiled", "brute-force"])
@pytest.mark.parametrize("target", TARGETS)
def test_who_reaches_the_role_reaches_through_its_trusted_session(target: str, prefilter: bool, tmp_path: Path) -> None:
    inventory: Inventory = load_snapshots(snapshots(tmp_path, target))
    # GIVEN the evaluator: alice assumes ci-runner, the session deploy-bot of ci-runner assumes the target, and
    # neither alice nor ci-runner under another session name does
    assert can_assume(request_for(inventory, ALICE, RUNNER).request).allowed
    assert can_assume(request_for(inventory, SESSION, target).request).allowed
    assert not can_assume(request_for(inventory, ALICE, target).request).allowed
    other_session = SESSION.replace("deploy-bot", "other")
    assert not can_assume(request_for(inventory, other_session, target).request).allowed
    # WHEN the graph is asked who can assume the target
    graph = build_graph(inventory, now=NOW, prefilter=prefilter)
    reaches = graph.who_can_assume(target)
    # THEN ci-runner in one hop under the session name, and alice through ci-runner, the same requirement on it
    requirement = (f"{target} requires role session name deploy-bot",)
    assert [(r.principal, r.path, r.conditions) for r in reaches] == [
        (RUNNER, (RUNNER, target), requirement),
        (ALICE, (ALICE, RUNNER, target), requirement),
    ]
    # AND the forward closure the transitive rules use has ci-runner's sessions reaching the target
    closure = ForwardClosure(graph)
    assert target in set(closure.members(closure.reach(RUNNER)))


@pytest.mark.parametrize("target", TARGETS)
def test_who_can_assume_lists_the_principal_behind_the_session(
    target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["who-can-assume", "--snapshot", *snapshots(tmp_path, target), "--role", target, "--format", "json"]
    assert main(argv) == 0, capsys.readouterr().err
    principals = {p["principal"]: p for p in json.loads(capsys.readouterr().out)["principals"]}
    assert set(principals) == {RUNNER, ALICE}
    assert principals[ALICE]["path"] == [ALICE, RUNNER, target]
    assert principals[ALICE]["conditions"] == [f"{target} requires role session name deploy-bot"]
