"""``${*}``, ``${?}`` and ``${$}`` in Resource are literal characters for the evaluator and the graph alike."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.iam.entities import Account, Inventory, NamedPolicy, Role, User
from chalicelib.iam.graph import build_graph
from chalicelib.iam.policy import parse_policy

ACCOUNT = "123456789012"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
TARGET = f"arn:aws:iam::{ACCOUNT}:role/home/R"


def _inventory(*statements: dict[str, Any]) -> Inventory:
    policy = parse_policy({"Version": "2012-10-17", "Statement": list(statements)})
    alice = User(arn=ALICE, name="alice", unique_id="AIDATESTALICE", inline_policies=(NamedPolicy("p", policy),))
    trust = {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}
    target = Role(arn=TARGET, name="R", unique_id="AROATESTR00000000000",
                  trust_policy=parse_policy({"Version": "2012-10-17", "Statement": [trust]}))  # fmt: skip
    account = Account(ACCOUNT)
    account.users[ALICE] = alice
    account.roles[TARGET] = target
    return Inventory([account])


@pytest.mark.parametrize("escape", ["${*}", "${?}"])
def test_a_deny_on_an_escape_does_not_hide_who_can_assume(escape: str) -> None:
    # GIVEN alice may assume any role, except the role literally named role/home/<escape's character>
    allow = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}
    deny = {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/home/{escape}"}
    # WHEN the graph asks who can assume role/home/R
    reaches = build_graph(_inventory(allow, deny)).who_can_assume(TARGET)
    # THEN alice can: the Deny names another role
    assert ALICE in {r.principal for r in reaches}


def test_an_allow_on_an_escaped_star_does_not_grant_every_role_under_the_path() -> None:
    # GIVEN alice's only Allow names role/home/${*}
    allow = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/home/${{*}}"}
    # WHEN the graph asks who can assume role/home/R  THEN alice cannot
    assert ALICE not in {r.principal for r in build_graph(_inventory(allow)).who_can_assume(TARGET)}
