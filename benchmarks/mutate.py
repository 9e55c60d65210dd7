"""Random IAM changes to a generated inventory, as the events of a day make them: the same seed, the same changes.

Each change is one that CloudTrail reports (a new inline policy, a group membership, a new managed policy
version, a new trust policy, a tag, a role or user created or deleted). The result is a new `Inventory`; the
given one is left as it was. Used by the tests that compare a stored graph brought up to date with a fresh
compile, and by the per-event benchmark.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from chalicelib.iam.entities import Account, Inventory, NamedPolicy, Role, User
from chalicelib.iam.policy import parse_policy

ASSUME = "sts:AssumeRole"
KINDS = ("user-policy", "group", "managed", "role-policy", "trust", "tag-role", "tag-user", "delete-role",
         "delete-user", "add-role", "add-user")  # fmt: skip


def _doc(*statements: dict[str, Any]) -> NamedPolicy:
    return NamedPolicy("changed", parse_policy({"Version": "2012-10-17", "Statement": list(statements)}))


def mutate(inventory: Inventory, rng: random.Random, kind: str | None = None) -> tuple[Inventory, str]:
    """One change (of ``kind``, or a random one); returns the changed inventory and what was changed."""
    accounts = {a: _copy(account) for a, account in inventory.accounts.items()}
    account = accounts[rng.choice(sorted(accounts))]
    kind = kind or rng.choice(KINDS)
    roles, users = sorted(account.roles), sorted(account.users)
    some_role = rng.choice(sorted(arn for a in accounts.values() for arn in a.roles))
    if kind == "user-policy" and users:
        arn = rng.choice(users)
        account.users[arn] = replace(account.users[arn], inline_policies=(_assume(rng, some_role),))
    elif kind == "group" and users:
        arn = rng.choice(users)
        user = account.users[arn]
        groups = () if user.group_names else tuple(sorted(account.groups))[:1]
        account.users[arn] = replace(user, group_names=groups)
    elif kind == "managed" and account.managed_policies:
        arn = rng.choice(sorted(account.managed_policies))
        account.managed_policies[arn] = replace(_assume(rng, some_role), name=arn)
    elif kind == "role-policy" and roles:
        arn = rng.choice(roles)
        account.roles[arn] = replace(account.roles[arn], inline_policies=(_assume(rng, some_role),))
    elif kind == "trust" and roles:
        arn = rng.choice(roles)
        account.roles[arn] = replace(account.roles[arn], trust_policy=_trust(rng, accounts, account).document)
    elif kind in ("tag-role", "tag-user") and (roles if kind == "tag-role" else users):
        table: dict[str, Any] = account.roles if kind == "tag-role" else account.users
        arn = rng.choice(roles if kind == "tag-role" else users)
        table[arn] = replace(table[arn], tags=(("team", rng.choice("ab")), ("env", rng.choice(("prod", "dev")))))
    elif kind == "delete-role" and len(roles) > 1:
        arn = rng.choice(roles)
        del account.roles[arn]
    elif kind == "delete-user" and users:
        arn = rng.choice(users)
        del account.users[arn]
    elif kind == "add-role":
        arn = f"arn:aws:iam::{account.account_id}:role/added-{rng.randrange(10**6)}"
        account.roles[arn] = Role(arn, arn.rsplit("/", 1)[1], f"AROAADDED{rng.randrange(10**8):08d}",
                                  trust_policy=_trust(rng, accounts, account).document,
                                  inline_policies=(_assume(rng, some_role),))  # fmt: skip
    else:
        arn = f"arn:aws:iam::{account.account_id}:user/added-{rng.randrange(10**6)}"
        account.users[arn] = User(arn, arn.rsplit("/", 1)[1], f"AIDAADDED{rng.randrange(10**8):08d}",
                                  inline_policies=(_assume(rng, some_role),),
                                  group_names=tuple(sorted(account.groups))[:1])  # fmt: skip
        kind = "add-user"
    return Inventory(accounts.values(), inventory.organization), f"{kind} {arn}"


def _copy(account: Account) -> Account:
    return replace(account, users=dict(account.users), groups=dict(account.groups), roles=dict(account.roles),
                   managed_policies=dict(account.managed_policies), errors=list(account.errors))  # fmt: skip


def _assume(rng: random.Random, role: str) -> NamedPolicy:
    resource = rng.choice(("*", role, "arn:aws:iam::*:role/team-a/*", f"{role}-not-there"))
    effect = "Deny" if rng.random() < 0.15 else "Allow"
    return _doc({"Effect": effect, "Action": ASSUME, "Resource": resource})


def _trust(rng: random.Random, accounts: dict[str, Account], account: Account) -> Any:
    others = [arn for a in accounts.values() for arn in (*a.users, *a.roles)]
    principal = rng.choice(others)
    parts = principal.split(":")
    session = f"arn:aws:sts::{parts[4]}:assumed-role/{principal.rsplit('/', 1)[1]}/deploy"
    choice = rng.choice(
        (
            {"AWS": principal},
            {"AWS": f"arn:aws:iam::{account.account_id}:root"},
            {"AWS": "arn:aws:iam::600000000000:root"},
            {"AWS": session if ":role/" in principal else principal},
            {"AWS": "*"},
        )
    )
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": choice, "Action": ASSUME}
    if choice == {"AWS": "*"}:
        statement["Condition"] = {"StringEquals": {"aws:PrincipalTag/team": "a"}}
    return _doc(statement)
