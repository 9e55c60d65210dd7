"""A generated inventory with everything that can make two principals (or two roles) decide differently.

On top of `generate_inventory`: principal and role tags that conditions read, conditions and Deny carve-outs
on ``aws:PrincipalArn`` and ``aws:PrincipalTag``, policy variables, shared customer managed policies,
identity-policy Denies, permissions boundaries (one missing from the snapshot), SCPs and RCPs with
conditions, a management account, trusts naming users, roles, unique ids and sessions. The equivalence tests
compare the compiled graph with the brute force on these; the same seed gives the same inventory.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from benchmarks.generate import ORG_ID, generate_inventory
from chalicelib.iam.entities import Account, Identity, Inventory, NamedPolicy, Organization, PolicyLevel
from chalicelib.iam.policy import parse_policy

Doc = dict[str, Any]
ASSUME = "sts:AssumeRole"


def _doc(*statements: Doc) -> Doc:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _policy(name: str, *statements: Doc) -> NamedPolicy:
    return NamedPolicy(name, parse_policy(_doc(*statements)))


def _trusts(account: str, rng: random.Random, roles: list[str], users: list[str], unique_id: str) -> list[Doc]:
    root = f"arn:aws:iam::{account}:root"
    role, user = rng.choice(roles), rng.choice(users)
    session = f"arn:aws:sts::{account}:assumed-role/{role.rsplit('/', 1)[-1]}/deploy-bot"
    team_a = {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{account}:role/team-a/*"}}
    return [
        _doc({"Effect": "Allow", "Principal": {"AWS": root}, "Action": ASSUME, "Condition": team_a}),
        _doc(
            {"Effect": "Allow", "Principal": {"AWS": root}, "Action": ASSUME},
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": ASSUME,
                "Condition": {"ArnNotLike": team_a["ArnLike"]},
            },
        ),
        _doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": ASSUME,
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": "b"}},
            }
        ),
        _doc({"Effect": "Allow", "Principal": {"AWS": [user, root]}, "Action": ASSUME}),
        _doc(
            {"Effect": "Allow", "Principal": {"AWS": root}, "Action": ASSUME},
            {"Effect": "Deny", "Principal": {"AWS": [unique_id, user]}, "Action": ASSUME},  # by unique id, by ARN
        ),
        _doc({"Effect": "Allow", "Principal": {"AWS": [role, session]}, "Action": ASSUME}),
        _doc(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": ASSUME,
                "Condition": {"StringEquals": {"aws:PrincipalAccount": account}},
            }
        ),
        _doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": ASSUME,
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": "${aws:ResourceTag/team}"}},
            }
        ),
        _doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": [ASSUME, "sts:TagSession"],
                "Condition": {"StringEquals": {"aws:RequestTag/project": "x", "aws:ResourceTag/env": "prod"}},
            }
        ),
    ]


def _identities(account: str, managed: str) -> list[tuple[tuple[NamedPolicy, ...], tuple[str, ...]]]:
    """(inline policies, managed policy ARNs) to give principals."""
    deny_b = {"Effect": "Deny", "Action": ASSUME, "Resource": "arn:aws:iam::*:role/team-b/*"}
    return [
        ((), (managed,)),
        ((_policy("all-but-b", {"Effect": "Allow", "Action": ASSUME, "Resource": "*"}, deny_b),), ()),
        (
            (
                _policy(
                    "prod-only",
                    {
                        "Effect": "Allow",
                        "Action": ASSUME,
                        "Resource": "*",
                        "Condition": {"StringEquals": {"aws:ResourceTag/env": "prod"}},
                    },
                ),
            ),
            (),
        ),
        (
            (
                _policy(
                    "own-account",
                    {"Effect": "Allow", "Action": "sts:*", "Resource": "arn:aws:iam::${aws:PrincipalAccount}:role/*"},
                ),
            ),
            (),
        ),
        (
            (
                _policy(
                    "mfa",
                    {
                        "Effect": "Allow",
                        "Action": ASSUME,
                        "Resource": "*",
                        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                    },
                ),
            ),
            (managed,),
        ),
    ]


def generate_varied_inventory(roles: int, users: int, *, accounts: int = 3, seed: int = 7) -> Inventory:
    """``generate_inventory`` with the variations above mixed into about a third of its entities."""
    rng = random.Random(seed)
    base = generate_inventory(roles, users, accounts=accounts, seed=seed)
    ids = sorted(base.accounts)
    built = [_vary(base.accounts[a], rng) for a in ids]
    return Inventory(built, _organization(ids))


def _vary(account: Account, rng: random.Random) -> Account:
    a = account.account_id
    managed = f"arn:aws:iam::{a}:policy/assume-team-a"
    boundary = f"arn:aws:iam::{a}:policy/boundary"
    policies = {
        managed: _policy(managed, {"Effect": "Allow", "Action": ASSUME, "Resource": "arn:aws:iam::*:role/team-a/*"}),
        boundary: _policy(
            boundary, {"Effect": "Allow", "Action": ASSUME, "NotResource": f"arn:aws:iam::{a}:role/team-b/*"}
        ),
    }
    role_arns, user_arns = sorted(account.roles), sorted(account.users)
    trusts = _trusts(a, rng, role_arns, user_arns, account.roles[rng.choice(role_arns)].unique_id)
    identities = _identities(a, managed)
    roles = {}
    for arn, loaded in account.roles.items():
        tags = (("env", rng.choice(("prod", "dev"))), ("team", rng.choice("ab")))
        role = replace(loaded, tags=tags)
        if rng.random() < 0.35:
            role = replace(role, trust_policy=parse_policy(rng.choice(trusts)))
        roles[arn] = _identity(role, rng, identities, boundary)
    users = {arn: _identity(user, rng, identities, boundary) for arn, user in account.users.items()}
    return Account(a, users=users, groups=account.groups, roles=roles, managed_policies=policies)


def _identity(identity: Any, rng: random.Random, identities: list[Any], boundary: str) -> Any:
    if rng.random() < 0.35:
        inline, managed = rng.choice(identities)
        identity = replace(identity, inline_policies=identity.inline_policies + inline, managed_policy_arns=managed)
    roll = rng.random()
    if roll < 0.15:
        identity = replace(identity, boundary_arn=boundary)
    elif roll < 0.18:
        identity = replace(identity, boundary_arn=boundary + "-missing")  # not in the snapshot: a gap
    return _checked(identity)


def _checked(identity: Identity) -> Identity:
    return identity


def _organization(ids: list[str]) -> Organization:
    full = _policy("FullAWSAccess", {"Effect": "Allow", "Action": "*", "Resource": "*"})
    tagged = _policy("team-b-roles-for-team-b", {
        "Effect": "Deny", "Action": ASSUME, "Resource": "arn:aws:iam::*:role/team-b/*",
        "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "b"}},
    })  # fmt: skip
    rcp = _policy("org-only", {
        "Effect": "Deny", "Principal": "*", "Action": "sts:*", "Resource": "*",
        "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID},
                      "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}},
    })  # fmt: skip
    root = PolicyLevel("r-root", (full,))
    scps: dict[str, tuple[PolicyLevel, ...]] = {
        a: (root, PolicyLevel(a, (full, tagged) if i % 2 else (full,))) for i, a in enumerate(ids)
    }
    rcps: dict[str, tuple[PolicyLevel, ...]] = {a: (PolicyLevel(a, (rcp,)),) for a in ids[1:]}
    paths = {a: f"{ORG_ID}/r-root/" for a in ids}
    return Organization(ORG_ID, ids[0], frozenset(ids), scps, rcps, paths)
