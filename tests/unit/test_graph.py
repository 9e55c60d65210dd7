"""Reachability: who can assume a role, directly and through chains of roles, with the path and conditions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.generate import generate_inventory
from chalicelib.iam.assemble import request_for
from chalicelib.iam.entities import Account, Inventory, NamedPolicy, Role, User
from chalicelib.iam.errors import InvalidRequestError
from chalicelib.iam.evaluate import can_assume
from chalicelib.iam.graph import AssumeGraph, Reach, build_graph
from chalicelib.iam.graph_external import OUTSIDE_REQUIREMENT
from chalicelib.iam.policy import parse_policy
from chalicelib.inventory.snapshot import load_snapshots
from tests.conftest import DATA, SNAPSHOTS

ALICE = "arn:aws:iam::111111111111:user/alice"
FOOBAR = "arn:aws:iam::111111111111:role/foobar"
FOOBAZ = "arn:aws:iam::222222222222:role/foobaz"
DEEP = "arn:aws:iam::333333333333:role/deep"
SEED = "arn:aws:iam::123456789012:role"
SSO_ADMIN = (
    "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_dc4bb76cf910dcda"
)


def graph_of(folder: Path) -> AssumeGraph:
    return build_graph(load_snapshots(sorted(folder.glob("*.json"))))


def reach_of(reaches: list[Reach], principal: str) -> Reach | None:
    return next((r for r in reaches if r.principal == principal), None)


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def trusting(principal: object, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    return doc({**statement, "Condition": condition} if condition else statement)


def assume_on(resource: str) -> tuple[NamedPolicy, ...]:
    policy = doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resource})
    return (NamedPolicy("assume", parse_policy(policy)),)


def inventory_of(*identities: Role | User) -> Inventory:
    accounts: dict[str, Account] = {}
    for identity in identities:
        account = accounts.setdefault(identity.account_id, Account(identity.account_id))
        if isinstance(identity, Role):
            account.roles[identity.arn] = identity
        else:
            account.users[identity.arn] = identity
    return Inventory(accounts.values())


def role(name: str, trust: dict[str, Any], *, allows: str | None = None, account: str = "123456789012") -> Role:
    return Role(
        arn=f"arn:aws:iam::{account}:role/{name}",
        name=name,
        unique_id=f"AROATEST{name.upper():0<12}",
        inline_policies=assume_on(allows) if allows else (),
        trust_policy=parse_policy(trust),
    )


# --- the seeds and the chain of CONTRACTS.md §4 --------------------------------------------------------------


def test_alice_reaches_deep_in_three_hops_with_the_external_id_condition() -> None:
    # GIVEN alice -> foobar (111) -> foobaz (222) -> deep (333), deep requiring an ExternalId
    reaches = graph_of(DATA / "snapshots" / "chain").who_can_assume(DEEP)
    # THEN alice is there with the whole path, and the hop into deep says what it needs
    alice = reach_of(reaches, ALICE)
    assert alice is not None
    assert alice.path == (ALICE, FOOBAR, FOOBAZ, DEEP) and alice.hops == 3
    assert alice.conditions == (f"{DEEP} requires sts:ExternalId = ext-4242",)
    # AND shortest paths come first
    assert [r.principal for r in reaches] == [FOOBAZ, FOOBAR, ALICE]


@pytest.mark.parametrize(
    ("role_arn", "reached"),
    [
        pytest.param(f"{SEED}/RoleC", True, id="RoleC-names-RoleA"),
        pytest.param(f"{SEED}/allowed-roles-path/RoleD", True, id="RoleD-inside-the-path"),
        pytest.param(f"{SEED}/allowed-roles-path/RoleE", True, id="RoleE-named-and-inside"),
        pytest.param(f"{SEED}/RoleB", False, id="RoleB-outside-the-path"),
    ],
)
def test_seed_001_role_a_reaches_c_d_e_but_not_b(role_arn: str, reached: bool) -> None:
    reaches = graph_of(SNAPSHOTS / "seed-001").who_can_assume(role_arn)
    role_a = reach_of(reaches, f"{SEED}/RoleA")
    assert (role_a is not None) == reached
    if role_a is not None:
        assert role_a.path == (f"{SEED}/RoleA", role_arn) and role_a.conditions == ()


@pytest.mark.parametrize(("pair", "reached"), [("seed-000-granted", True), ("seed-000-denied", False)])
def test_seed_000_foobar_reaches_foobaz_only_with_its_own_permission(pair: str, reached: bool) -> None:
    # GIVEN foobaz trusts foobar; only in the granted pair does foobar's policy allow sts:AssumeRole on it
    reaches = graph_of(SNAPSHOTS / pair).who_can_assume(FOOBAZ)
    assert (reach_of(reaches, FOOBAR) is not None) == reached
    if not reached:
        assert reaches == []


@pytest.mark.parametrize("pair", ["seed-000-granted", "seed-000-denied"])
def test_the_sso_admin_never_assumes_foobaz_directly(pair: str) -> None:
    # GIVEN the SSO administrator of account a, with AdministratorAccess
    graph = graph_of(SNAPSHOTS / pair)
    # THEN it has no edge into foobaz: the trust policy names foobar only (seed 000, last experiment)
    assert SSO_ADMIN not in {edge.source for edge in graph.edges_into(FOOBAZ)}
    # AND it gets there at all only as a session of foobar, when foobar may go on
    sso = reach_of(graph.who_can_assume(FOOBAZ), SSO_ADMIN)
    assert (sso.path if sso else None) == ((SSO_ADMIN, FOOBAR, FOOBAZ) if pair == "seed-000-granted" else None)


def test_a_service_reaches_further_roles_through_the_role_it_runs_as() -> None:
    reaches = graph_of(SNAPSHOTS / "seed-001").who_can_assume(f"{SEED}/RoleC")
    ec2 = reach_of(reaches, "ec2.amazonaws.com")
    assert ec2 is not None and ec2.path == ("ec2.amazonaws.com", f"{SEED}/RoleA", f"{SEED}/RoleC")


# --- principals outside the snapshot ------------------------------------------------------------------------


def test_an_unloaded_account_appears_as_its_root_with_what_it_still_needs() -> None:
    reaches = graph_of(DATA / "snapshots" / "chain").who_can_assume("arn:aws:iam::333333333333:role/vendor")
    vendor = "arn:aws:iam::333333333333:role/vendor"
    assert reaches == [
        Reach(
            "arn:aws:iam::444444444444:root",
            ("arn:aws:iam::444444444444:root", vendor),
            (f"{vendor} requires sts:ExternalId = vendor-7", f"{vendor} {OUTSIDE_REQUIREMENT}"),
        )
    ]


def test_a_loaded_account_is_expanded_to_the_principals_that_can_use_it() -> None:
    # GIVEN RoleB trusts its own account, which is loaded: only RoleA's policy could use that, and it does not
    reaches = graph_of(SNAPSHOTS / "seed-001").who_can_assume(f"{SEED}/RoleB")
    assert reaches == []


def test_anyone_in_the_organization_is_listed_as_star_with_the_org_condition() -> None:
    org_wide = "arn:aws:iam::333333333333:role/org-wide"
    reaches = graph_of(DATA / "snapshots" / "chain").who_can_assume(org_wide)
    # THEN no loaded principal qualifies (no organization file is loaded) and "*" carries the condition
    assert [(r.principal, r.conditions[0]) for r in reaches] == [
        ("*", f"{org_wide} requires aws:PrincipalOrgID = o-a1b2c3d4e5")
    ]


# --- conditions ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("team", "reached"), [("a", True), ("b", False)])
def test_principal_tags_come_from_the_snapshot_never_from_choice(team: str, reached: bool) -> None:
    # GIVEN a role of the caller's account that requires the caller's tag team=a
    target = role("Tagged", trusting({"AWS": "123456789012"}, {"StringEquals": {"aws:PrincipalTag/team": "a"}}))
    user = User(
        arn="arn:aws:iam::123456789012:user/u",
        name="u",
        unique_id="AIDATESTUSER00000001",
        inline_policies=assume_on("*"),
        tags=(("team", team),),
    )
    reaches = build_graph(inventory_of(target, user)).who_can_assume(target.arn)
    assert [r.principal for r in reaches] == ([user.arn] if reached else [])


def test_mfa_is_a_requirement_not_an_obstacle() -> None:
    target = role("Mfa", trusting({"AWS": f"{SEED}/Caller"}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    caller = role("Caller", trusting({"Service": "ec2.amazonaws.com"}))
    reaches = build_graph(inventory_of(target, caller)).who_can_assume(target.arn)
    assert reach_of(reaches, caller.arn) == Reach(caller.arn, (caller.arn, target.arn), (f"{target.arn} requires MFA",))


# --- chains: cycles and depth ------------------------------------------------------------------------------


def test_a_cycle_of_roles_terminates_and_lists_each_principal_once() -> None:
    # GIVEN A trusts B, B trusts A, and user u may assume B through its account
    a = role("A", trusting({"AWS": f"{SEED}/B"}))
    b = role("B", doc(*trusting({"AWS": f"{SEED}/A"})["Statement"], *trusting({"AWS": "123456789012"})["Statement"]))
    user = User(arn="arn:aws:iam::123456789012:user/u", name="u", unique_id="AIDATESTU", inline_policies=assume_on("*"))
    reaches = build_graph(inventory_of(a, b, user)).who_can_assume(a.arn)
    assert [r.path for r in reaches] == [(b.arn, a.arn), (user.arn, b.arn, a.arn)]


@pytest.mark.parametrize(("depth", "principals"), [(1, [FOOBAZ]), (2, [FOOBAZ, FOOBAR]), (3, [FOOBAZ, FOOBAR, ALICE])])
def test_max_depth_bounds_the_number_of_hops(depth: int, principals: list[str]) -> None:
    reaches = graph_of(DATA / "snapshots" / "chain").who_can_assume(DEEP, max_depth=depth)
    assert [r.principal for r in reaches] == principals


def test_a_long_chain_stops_at_the_default_depth_of_five() -> None:
    # GIVEN R0 <- R1 <- ... <- R7, each trusting the next by ARN
    roles = [role(f"R{i}", trusting({"AWS": f"{SEED}/R{i + 1}"})) for i in range(8)]
    reaches = build_graph(inventory_of(*roles)).who_can_assume(roles[0].arn)
    assert [r.principal for r in reaches] == [r.arn for r in roles[1:6]]


def test_bad_arguments_are_refused() -> None:
    graph = graph_of(DATA / "snapshots" / "chain")
    with pytest.raises(ValueError, match="max_depth"):
        graph.who_can_assume(DEEP, max_depth=0)
    with pytest.raises(InvalidRequestError, match="not in the loaded snapshots"):
        graph.edges_into("arn:aws:iam::333333333333:role/missing")


# --- the pre-filter ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_prefilter_never_changes_the_edges(seed: int) -> None:
    # GIVEN a generated inventory of 40 roles and 10 users over four accounts
    inventory = generate_inventory(40, 10, seed=seed)
    # WHEN edges are found from the index, and by evaluating every principal against every role
    indexed = build_graph(inventory).all_edges()
    brute = build_graph(inventory, prefilter=False).all_edges()
    # THEN they are the same, and there are enough of them for that to mean something
    assert indexed == brute
    assert sum(len(edges) for edges in indexed.values()) >= 20


@pytest.mark.parametrize(
    "operator", ["ForAnyValue:StringNotEquals", "ForAnyValue:StringNotLike", "ForAllValues:StringEquals"]
)
def test_a_deny_on_an_absent_set_key_does_not_hide_the_edge(operator: str) -> None:
    # GIVEN a role trusting Caller, with a Deny whose set condition is false/irrelevant when no tags are passed
    account = "123456789012"
    caller_arn, target_arn = f"arn:aws:iam::{account}:role/Caller", f"arn:aws:iam::{account}:role/T"
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sts:AssumeRole",
        "Condition": {operator: {"aws:TagKeys": ["team"]}},
    }
    allow = {"Effect": "Allow", "Principal": {"AWS": caller_arn}, "Action": "sts:AssumeRole"}
    trust = parse_policy({"Version": "2012-10-17", "Statement": [allow, deny]})
    target = Role(arn=target_arn, name="T", unique_id="AROATESTT00000000000", trust_policy=trust)
    caller_trust = parse_policy(
        {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    )
    caller = Role(arn=caller_arn, name="Caller", unique_id="AROATESTC00000000000", trust_policy=caller_trust)
    inventory = Inventory([Account(account, roles={target_arn: target, caller_arn: caller})])
    # WHEN the graph is asked, THEN it agrees with the evaluator (no tags: the Deny does not apply for ForAnyValue)
    allowed = can_assume(request_for(inventory, caller_arn, target_arn).request).allowed
    reached = caller_arn in {r.principal for r in build_graph(inventory).who_can_assume(target_arn) if r.hops == 1}
    assert reached == allowed
