"""A generated inventory of several accounts, for the graph benchmark and the pre-filter equivalence test.

Trust policies mix what real accounts hold: the account root (own or another account's, with and without
conditions), a specific role or user, a unique id, ``*`` with an organization condition, AWS services, a
SAML provider, an account that is not loaded, Deny statements. Identity policies mix no permission to
assume anything, path wildcards, specific roles, ``*``, NotResource, and group policies. The same seed
gives the same inventory.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from chalicelib.iam.entities import Account, Group, Inventory, NamedPolicy, Organization, Role, User
from chalicelib.iam.policy import parse_policy

ORG_ID = "o-bench12345"
OUTSIDE_ACCOUNT = "600000000000"
PATHS = ("/", "/team-a/", "/team-b/")
SAML = "sts:AssumeRoleWithSAML"
Doc = dict[str, Any]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Shape:
    accounts: tuple[str, ...]
    roles: tuple[tuple[str, str, str], ...]  # (account, path, name)
    users: tuple[tuple[str, str], ...]  # (account, name)

    def role_arn(self, i: int) -> str:
        account, path, name = self.roles[i]
        return f"arn:aws:iam::{account}:role{path}{name}"

    def user_arn(self, j: int) -> str:
        account, name = self.users[j]
        return f"arn:aws:iam::{account}:user/{name}"


def _doc(*statements: Doc) -> Doc:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _trust(principal: object, condition: Doc | None = None, action: str = "sts:AssumeRole") -> Doc:
    statement: Doc = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return statement


MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
CORPORATE_NETWORK = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
IN_ORGANIZATION = {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}
SERVICES = ("ec2.amazonaws.com", "lambda.amazonaws.com")


def _external_id(value: str) -> Doc:
    return {"StringEquals": {"sts:ExternalId": value}}


def _deny_unless_team_a() -> Doc:
    condition = {"StringNotEquals": {"aws:PrincipalTag/team": "a"}}
    return {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": condition}


def _trust_templates(shape: _Shape, rng: random.Random) -> list[tuple[int, Callable[[str], Doc]]]:
    """(weight, account -> trust document). Rare templates are the ones that admit many principals."""

    def some_role() -> str:
        return shape.role_arn(rng.randrange(len(shape.roles)))

    def some_user() -> str:
        return shape.user_arn(rng.randrange(len(shape.users)))

    def some_account() -> str:
        return rng.choice(shape.accounts)

    def root(account: str) -> str:
        return f"arn:aws:iam::{account}:root"

    return [
        (20, lambda a: _doc(_trust({"AWS": root(a)}))),
        (8, lambda a: _doc(_trust({"AWS": some_account()}))),
        (25, lambda a: _doc(_trust({"AWS": some_role()}))),
        (5, lambda a: _doc(_trust({"AWS": [some_role(), some_role()]}, MFA))),
        (4, lambda a: _doc(_trust({"AWS": some_user()}))),
        (3, lambda a: _doc(_trust({"AWS": f"AROAGENERATED{rng.randrange(len(shape.roles)):08d}"}))),
        (15, lambda a: _doc(_trust({"Service": rng.choice(SERVICES)}))),
        (3, lambda a: _doc(_trust({"Federated": f"arn:aws:iam::{a}:saml-provider/idp"}, None, SAML))),
        (4, lambda a: _doc(_trust({"AWS": OUTSIDE_ACCOUNT}, _external_id("vendor")))),
        (4, lambda a: _doc(_trust({"AWS": root(some_account())}, _external_id("x1")))),
        (3, lambda a: _doc(_trust({"AWS": root(a)}), _deny_unless_team_a())),
        (2, lambda a: _doc(_trust({"AWS": root(a)}, CORPORATE_NETWORK))),
        (1, lambda a: _doc(_trust("*", IN_ORGANIZATION))),
        (1, lambda a: _doc(_trust({"AWS": "*"}, {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{a}:role/team-a/*"}}))),
    ]


def _identity_templates(shape: _Shape, rng: random.Random) -> list[tuple[int, Callable[[str], Doc | None]]]:
    def assume(resource: object, key: str = "Resource") -> Doc:
        return _doc({"Effect": "Allow", "Action": "sts:AssumeRole", key: resource})

    return [
        (45, lambda a: None),
        (15, lambda a: assume(f"arn:aws:iam::{a}:role/team-a/*")),
        (15, lambda a: assume([shape.role_arn(rng.randrange(len(shape.roles))) for _ in range(3)])),
        (5, lambda a: assume("*")),
        (5, lambda a: assume(f"arn:aws:iam::{rng.choice(shape.accounts)}:role/*")),
        (3, lambda a: assume(f"arn:aws:iam::{a}:role/team-b/*", "NotResource")),
        (5, lambda a: _doc({"Effect": "Allow", "Action": "sts:*", "Resource": "arn:aws:iam::*:role/team-b/*"})),
        (7, lambda a: _doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})),
    ]


def _pick(templates: list[tuple[int, Callable[[str], T]]], rng: random.Random) -> Callable[[str], T]:
    makers = [maker for _, maker in templates]
    return rng.choices(makers, weights=[weight for weight, _ in templates])[0]


def _inline(document: Doc | None) -> tuple[NamedPolicy, ...]:
    return () if document is None else (NamedPolicy("generated", parse_policy(document)),)


def generate_inventory(roles: int, users: int, *, accounts: int = 4, seed: int = 7) -> Inventory:
    """``roles`` roles and ``users`` users spread over ``accounts`` accounts of one organization."""
    rng = random.Random(seed)
    ids = tuple(f"5000000000{i:02d}" for i in range(accounts))
    shape = _Shape(
        accounts=ids,
        roles=tuple((ids[i % accounts], rng.choice(PATHS), f"role-{i}") for i in range(roles)),
        users=tuple((ids[j % accounts], f"user-{j}") for j in range(users)),
    )
    built = {a: Account(a, groups={"assumers": _group(a)}) for a in ids}
    trusts, identities = _trust_templates(shape, rng), _identity_templates(shape, rng)
    for i, (account, path, name) in enumerate(shape.roles):
        built[account].roles[shape.role_arn(i)] = Role(
            arn=shape.role_arn(i),
            name=name,
            unique_id=f"AROAGENERATED{i:08d}",
            path=path,
            inline_policies=_inline(_pick(identities, rng)(account)),
            trust_policy=parse_policy(_pick(trusts, rng)(account)),
        )
    for j, (account, name) in enumerate(shape.users):
        built[account].users[shape.user_arn(j)] = User(
            arn=shape.user_arn(j),
            name=name,
            unique_id=f"AIDAGENERATED{j:08d}",
            inline_policies=_inline(_pick(identities, rng)(account)),
            tags=(("team", rng.choice("ab")),),
            group_names=("assumers",) if rng.random() < 0.3 else (),
        )
    return Inventory(built.values(), Organization(org_id=ORG_ID, account_ids=frozenset(ids)))


def _group(account: str) -> Group:
    policy = _doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/team-b/*"})
    return Group(
        arn=f"arn:aws:iam::{account}:group/assumers",
        name="assumers",
        unique_id="AGPAGENERATED",
        inline_policies=_inline(policy),
    )
