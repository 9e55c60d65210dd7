"""Snapshot files: account files as get-account-authorization-details prints them, and the organization file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest

from chalicelib.iam.entities import NamedPolicy, Organization, PolicyLevel
from chalicelib.iam.policy import PolicyDocument, parse_policy
from chalicelib.inventory.snapshot import (
    SnapshotError,
    load_snapshots,
    parse_authorization_details,
    parse_organization,
)
from tests.conftest import SNAPSHOTS

SEED_001 = SNAPSHOTS / "seed-001" / "123456789012.json"
DENIED = SNAPSHOTS / "seed-000-denied"
GRANTED = SNAPSHOTS / "seed-000-granted"
ORG_FILE = SNAPSHOTS / "org-example.json"

A, X, Y = "123456789012", "111111111111", "222222222222"
SSO_ROLE = f"arn:aws:iam::{X}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_dc4bb76cf910dcda"
ASSUME_ANY = f"arn:aws:iam::{X}:policy/AssumeAnyRole"
ADMIN_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
TRUST_ROOT: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "sts:AssumeRole"}],
}
ALLOW_ALL: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
ALLOW_ASSUME: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
}


def _role_entry(name: str, trust: object = TRUST_ROOT, account: str = A, **extra: object) -> dict[str, Any]:
    return {
        "Path": "/",
        "RoleName": name,
        "RoleId": "AROAQXJ4ZK2LM7NP3RSTU",
        "Arn": f"arn:aws:iam::{account}:role/{name}",
        "CreateDate": "2024-05-02T10:11:12+00:00",
        "AssumeRolePolicyDocument": trust,
        "InstanceProfileList": [],
        "RolePolicyList": [],
        "AttachedManagedPolicies": [],
        "Tags": [],
        "RoleLastUsed": {},
        **extra,
    }


def _policy_entry(arn: str, versions: list[dict[str, Any]], **extra: object) -> dict[str, Any]:
    return {"Arn": arn, "Path": "/", "DefaultVersionId": "v1", "PolicyVersionList": versions, **extra}


def _gaad(*roles: dict[str, Any], policies: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    return {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": list(roles), "Policies": list(policies)}


def _write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def _decode_documents(value: object) -> object:
    """The same data with every URL-encoded document turned into an object."""
    if isinstance(value, dict):
        return {k: _decode_documents(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode_documents(v) for v in value]
    if isinstance(value, str) and value.startswith("%7B"):
        return json.loads(unquote(value))
    return value


# --- the seed fixtures ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "expected_roles"),
    [
        pytest.param(
            [SEED_001],
            {
                A: {
                    f"arn:aws:iam::{A}:role/RoleA",
                    f"arn:aws:iam::{A}:role/RoleB",
                    f"arn:aws:iam::{A}:role/RoleC",
                    f"arn:aws:iam::{A}:role/allowed-roles-path/RoleD",
                    f"arn:aws:iam::{A}:role/allowed-roles-path/RoleE",
                }
            },
            id="seed-001-url-encoded",
        ),
        pytest.param(
            sorted(DENIED.glob("*.json")),
            {X: {SSO_ROLE, f"arn:aws:iam::{X}:role/foobar"}, Y: {f"arn:aws:iam::{Y}:role/foobaz"}},
            id="seed-000-denied",
        ),
        pytest.param(
            sorted(GRANTED.glob("*.json")),
            {X: {SSO_ROLE, f"arn:aws:iam::{X}:role/foobar"}, Y: {f"arn:aws:iam::{Y}:role/foobaz"}},
            id="seed-000-granted",
        ),
    ],
)
def test_seed_fixture_loads_every_role_without_errors(files: list[Path], expected_roles: dict[str, set[str]]) -> None:
    # GIVEN the seed snapshot files
    # WHEN they are loaded
    inventory = load_snapshots(files)
    # THEN every account and role is there, every trust policy parsed, nothing reported
    assert {acct: set(a.roles) for acct, a in inventory.accounts.items()} == expected_roles
    assert all(role.trust_policy is not None and role.trust_policy_error is None for role in inventory.roles())
    assert [a.errors for a in inventory.accounts.values()] == [[] for _ in expected_roles]


@pytest.mark.parametrize(
    ("role_arn", "path", "principal"),
    [
        pytest.param(f"arn:aws:iam::{A}:role/RoleA", "/", ("service", "ec2.amazonaws.com"), id="RoleA-ec2"),
        pytest.param(f"arn:aws:iam::{A}:role/RoleC", "/", ("aws", f"arn:aws:iam::{A}:role/RoleA"), id="RoleC-RoleA"),
        pytest.param(
            f"arn:aws:iam::{A}:role/allowed-roles-path/RoleD",
            "/allowed-roles-path/",
            ("aws", f"arn:aws:iam::{A}:root"),
            id="RoleD-root",
        ),
    ],
)
def test_seed_001_role_path_and_trust_principal(role_arn: str, path: str, principal: tuple[str, str]) -> None:
    # GIVEN the seed-001 account WHEN it is loaded
    role = load_snapshots([SEED_001]).role(role_arn)
    # THEN the role has its path and its (URL-encoded) trust policy names the principal
    assert role is not None and role.trust_policy is not None
    assert role.path == path
    kind, value = principal
    assert getattr(role.trust_policy.statements[0].principal, kind) == (value,)


def test_seed_001_inline_policy_of_role_a_is_read() -> None:
    # GIVEN the seed-001 account WHEN it is loaded
    role = load_snapshots([SEED_001]).role(f"arn:aws:iam::{A}:role/RoleA")
    # THEN RoleA has its one inline policy, allowing sts:AssumeRole on the allowed path only
    assert role is not None
    assert [p.name for p in role.inline_policies] == ["AssumeAllowedPathRoles"]
    statement = role.inline_policies[0].document.statements[0]
    assert statement.action == ("sts:AssumeRole",)
    assert statement.resource == (f"arn:aws:iam::{A}:role/allowed-roles-path/*",)


@pytest.mark.parametrize(
    ("case", "expected_inline"),
    [pytest.param(DENIED, [], id="denied-no-inline"), pytest.param(GRANTED, ["assume-foobaz"], id="granted-inline")],
)
def test_seed_000_foobar_permissions_differ_only_by_inline_policy(case: Path, expected_inline: list[str]) -> None:
    # GIVEN one of the seed-000 cases WHEN loaded
    role = load_snapshots(sorted(case.glob("*.json"))).role(f"arn:aws:iam::{X}:role/foobar")
    # THEN foobar has the inline policy in the granted case only, and no managed policy in either
    assert role is not None
    assert [p.name for p in role.inline_policies] == expected_inline
    assert role.managed_policy_arns == ()


def test_seed_000_sso_role_has_aws_managed_admin_policy_and_saml_trust() -> None:
    # GIVEN the denied case WHEN loaded
    inventory = load_snapshots(sorted(DENIED.glob("*.json")))
    role = inventory.role(SSO_ROLE)
    # THEN the SSO role is under its reserved path, trusts the SAML provider, and AdministratorAccess is loaded
    assert role is not None and role.trust_policy is not None
    assert role.path == "/aws-reserved/sso.amazonaws.com/"
    assert role.trust_policy.statements[0].action == ("sts:AssumeRoleWithSAML", "sts:TagSession")
    assert role.managed_policy_arns == (ADMIN_ACCESS,)
    admin = inventory.managed_policy(X, ADMIN_ACCESS)
    assert admin == NamedPolicy(ADMIN_ACCESS, parse_policy(ALLOW_ALL))


def test_user_group_membership_boundary_and_tags_are_read() -> None:
    # GIVEN the denied case, where alice is in the group admins
    account = load_snapshots(sorted(DENIED.glob("*.json"))).accounts[X]
    # WHEN alice and her group are looked up
    alice = account.users[f"arn:aws:iam::{X}:user/alice"]
    group = account.groups["admins"]
    # THEN membership, boundary, tags and the group's attached policy are as in the file
    assert alice.group_names == ("admins",)
    assert alice.boundary_arn == f"arn:aws:iam::{X}:policy/DeveloperBoundary"
    assert alice.tags == (("team", "platform"),)
    assert alice.unique_id.startswith("AIDA") and len(alice.unique_id) == 21
    assert group.managed_policy_arns == (ASSUME_ANY,)
    assert group.arn == f"arn:aws:iam::{X}:group/admins"


# --- documents as objects or strings --------------------------------------------------------------------


def test_url_encoded_and_object_documents_give_equal_accounts(tmp_path: Path) -> None:
    # GIVEN seed-001 (URL-encoded documents) and the same file with every document as an object
    raw = json.loads(SEED_001.read_text())
    decoded = _write(tmp_path, "decoded.json", _decode_documents(raw))
    assert decoded.read_text().count("%7B") == 0
    # WHEN both are parsed
    encoded_account = parse_authorization_details(raw, source="encoded.json")
    object_account = load_snapshots([decoded]).accounts[A]
    # THEN the roles, with their trust and inline policies, are equal
    assert encoded_account.roles == object_account.roles


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(TRUST_ROOT, id="object"),
        pytest.param(json.dumps(TRUST_ROOT), id="json-string"),
        pytest.param(quote(json.dumps(TRUST_ROOT), safe=""), id="url-encoded-string"),
        pytest.param(quote(json.dumps(TRUST_ROOT, indent=4), safe=""), id="url-encoded-pretty"),
    ],
)
def test_every_document_form_gives_the_same_policy(document: object) -> None:
    # GIVEN a role whose trust policy is given in one of the forms AWS produces
    data = _gaad(_role_entry("R", trust=document, RolePolicyList=[{"PolicyName": "p", "PolicyDocument": document}]))
    # WHEN parsed
    role = parse_authorization_details(data, source="s.json").roles[f"arn:aws:iam::{A}:role/R"]
    # THEN trust and inline policy equal the object form
    assert role.trust_policy == parse_policy(TRUST_ROOT)
    assert role.inline_policies == (NamedPolicy("p", parse_policy(TRUST_ROOT)),)


# --- managed policies -----------------------------------------------------------------------------------


def test_seed_default_version_of_managed_policy_is_kept() -> None:
    # GIVEN AssumeAnyRole, whose v1 allows the account's roles and whose default v2 allows every role
    account = load_snapshots(sorted(DENIED.glob("*.json"))).accounts[X]
    # WHEN its loaded document is read
    policy = account.managed_policies[ASSUME_ANY]
    # THEN it is v2, under the policy's ARN
    assert policy.name == ASSUME_ANY
    assert policy.document.statements[0].resource == ("*",)


OLD: dict[str, Any] = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}


@pytest.mark.parametrize(
    "versions",
    [
        pytest.param(
            [
                {"Document": OLD, "VersionId": "v1", "IsDefaultVersion": False},
                {"Document": ALLOW_ASSUME, "VersionId": "v2", "IsDefaultVersion": True},
            ],
            id="IsDefaultVersion-on-second",
        ),
        pytest.param(
            [{"Document": OLD, "VersionId": "v1"}, {"Document": ALLOW_ASSUME, "VersionId": "v2"}],
            id="only-DefaultVersionId",
        ),
    ],
)
def test_default_version_is_chosen(versions: list[dict[str, Any]]) -> None:
    # GIVEN a customer managed policy without PolicyName (as moto prints it), default version v2
    arn = f"arn:aws:iam::{A}:policy/team/Assume"
    data = _gaad(policies=(_policy_entry(arn, versions, DefaultVersionId="v2"),))
    # WHEN parsed
    account = parse_authorization_details(data, source="s.json")
    # THEN the default version is kept under the ARN, and the account id comes from the policy ARN
    assert account.account_id == A
    assert account.managed_policies == {arn: NamedPolicy(arn, parse_policy(ALLOW_ASSUME))}


def test_managed_policy_without_default_version_is_left_out_and_named() -> None:
    # GIVEN a managed policy whose versions are all non-default
    arn = f"arn:aws:iam::{A}:policy/Orphan"
    versions = [{"Document": ALLOW_ASSUME, "VersionId": "v1", "IsDefaultVersion": False}]
    data = _gaad(_role_entry("R"), policies=(_policy_entry(arn, versions, DefaultVersionId="v9"),))
    # WHEN parsed
    account = parse_authorization_details(data, source="s.json")
    # THEN it is left out, one error line names it, and the role is still there
    assert account.managed_policies == {}
    assert len(account.errors) == 1
    assert "'Orphan'" in account.errors[0] and "no default version" in account.errors[0]
    assert f"arn:aws:iam::{A}:role/R" in account.roles


# --- one bad document does not block the rest ------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad_trust", "expected_in_error"),
    [
        pytest.param(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "sts:AssumeRole"}]},
            "Statement[0].Effect",
            id="effect-not-allow-or-deny",
        ),
        pytest.param("%7B%22Version%22%3A", "not JSON", id="truncated-url-encoded"),
        pytest.param(["not", "an", "object"], "must be a JSON object", id="list-instead-of-object"),
        pytest.param(None, "missing", id="null-document"),
    ],
)
def test_broken_trust_policy_keeps_role_and_other_roles(
    tmp_path: Path, bad_trust: object, expected_in_error: str
) -> None:
    # GIVEN seed-001 where RoleC's trust policy is broken
    data = json.loads(SEED_001.read_text())
    assert data["RoleDetailList"][2]["RoleName"] == "RoleC"
    data["RoleDetailList"][2]["AssumeRolePolicyDocument"] = bad_trust
    path = _write(tmp_path, "broken.json", data)
    # WHEN it is loaded
    account = load_snapshots([path]).accounts[A]
    # THEN RoleC is kept with the error (naming file and place), the four other roles are fine
    role_c = account.roles[f"arn:aws:iam::{A}:role/RoleC"]
    assert role_c.trust_policy is None
    assert role_c.trust_policy_error is not None
    assert role_c.trust_policy_error.startswith(f"{path}: RoleDetailList[2].AssumeRolePolicyDocument: ")
    assert expected_in_error in role_c.trust_policy_error
    others = [r for r in account.roles.values() if r.name != "RoleC"]
    assert len(others) == 4 and all(r.trust_policy is not None for r in others)


def test_missing_trust_policy_key_is_a_role_error() -> None:
    # GIVEN a role entry without AssumeRolePolicyDocument
    entry = _role_entry("R")
    del entry["AssumeRolePolicyDocument"]
    # WHEN parsed
    role = parse_authorization_details(_gaad(entry), source="s.json").roles[f"arn:aws:iam::{A}:role/R"]
    # THEN the role is kept, marked with the missing document
    assert role.trust_policy is None
    assert (
        role.trust_policy_error == "s.json: RoleDetailList[0].AssumeRolePolicyDocument: the policy document is missing"
    )


def test_broken_inline_policy_is_left_out_and_named() -> None:
    # GIVEN a role with one broken and one good inline policy
    inline = [
        {"PolicyName": "broken", "PolicyDocument": {"Statement": [{"Effect": "Allow"}]}},
        {"PolicyName": "good", "PolicyDocument": ALLOW_ASSUME},
    ]
    data = _gaad(_role_entry("R", RolePolicyList=inline))
    # WHEN parsed
    account = parse_authorization_details(data, source="s.json")
    # THEN only the good policy is kept and one error line names the broken one and its place
    role = account.roles[f"arn:aws:iam::{A}:role/R"]
    assert [p.name for p in role.inline_policies] == ["good"]
    assert role.trust_policy is not None
    assert len(account.errors) == 1
    assert account.errors[0].startswith(f"inline policy 'broken' of arn:aws:iam::{A}:role/R left out: ")
    assert "s.json: RoleDetailList[0].RolePolicyList[0].PolicyDocument: Statement[0]" in account.errors[0]


def test_broken_managed_policy_is_left_out_and_named() -> None:
    # GIVEN a broken default version of one managed policy beside a good one
    bad, good = f"arn:aws:iam::{A}:policy/Bad", f"arn:aws:iam::{A}:policy/Good"
    policies = (
        _policy_entry(bad, [{"Document": "%7Bnope", "VersionId": "v1", "IsDefaultVersion": True}], PolicyName="Bad"),
        _policy_entry(good, [{"Document": ALLOW_ASSUME, "VersionId": "v1", "IsDefaultVersion": True}]),
    )
    # WHEN parsed
    account = parse_authorization_details(_gaad(_role_entry("R"), policies=policies), source="s.json")
    # THEN the good one is kept and the bad one is named in the errors
    assert set(account.managed_policies) == {good}
    assert len(account.errors) == 1
    assert account.errors[0].startswith(
        f"managed policy 'Bad' ({bad}) left out: s.json: Policies[0].PolicyVersionList[0]"
    )


def test_truncated_output_is_loaded_and_reported() -> None:
    # GIVEN one page of the raw API output
    data = {**_gaad(_role_entry("R")), "IsTruncated": True, "Marker": "AAE2Ld3tYQ"}
    # WHEN parsed
    account = parse_authorization_details(data, source="page1.json")
    # THEN the role is there and the account says pages are missing
    assert f"arn:aws:iam::{A}:role/R" in account.roles
    assert len(account.errors) == 1 and "IsTruncated" in account.errors[0]


# --- files that cannot be used -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param('{"RoleDetailList": [}', "bad.json: line 1 column 21: not JSON", id="invalid-json"),
        pytest.param("", "bad.json: line 1 column 1: not JSON", id="empty-file"),
        pytest.param([_role_entry("R")], "bad.json: expected a JSON object, found a list", id="top-level-list"),
        pytest.param({"Statement": []}, "bad.json: neither an account snapshot", id="neither-kind"),
        pytest.param(
            {"RoleDetailList": {"R": _role_entry("R")}},
            "bad.json: RoleDetailList: expected a list, found an object",
            id="role-list-is-object",
        ),
        pytest.param(
            {"RoleDetailList": ["arn:aws:iam::123456789012:role/R"]},
            "bad.json: RoleDetailList[0]: expected a JSON object, found a string",
            id="role-entry-is-string",
        ),
        pytest.param(
            _gaad(_role_entry("R", Arn="arn:aws:s3:::bucket")),
            "bad.json: RoleDetailList[0].Arn: not an IAM ARN",
            id="arn-not-iam",
        ),
        pytest.param(
            _gaad(policies=(_policy_entry(ADMIN_ACCESS, []),)),
            "bad.json: no account id",
            id="only-aws-managed-policies",
        ),
        pytest.param(
            {**_gaad(_role_entry("R")), "Organization": {"Id": "o-a1b2c3d4e5"}},
            "bad.json: mixes account keys",
            id="account-and-organization-keys",
        ),
    ],
)
def test_unusable_file_raises_snapshot_error_naming_file_and_place(
    tmp_path: Path, content: object, expected: str
) -> None:
    # GIVEN a file that is not a usable snapshot
    path = _write(tmp_path, "bad.json", content)
    # WHEN it is loaded THEN SnapshotError names the file and the place
    with pytest.raises(SnapshotError) as caught:
        load_snapshots([path])
    assert str(caught.value).startswith(str(tmp_path / expected))


def test_missing_file_raises_snapshot_error(tmp_path: Path) -> None:
    # GIVEN a path to nothing WHEN loaded THEN SnapshotError names it
    with pytest.raises(SnapshotError, match=r"nowhere\.json: cannot read the file"):
        load_snapshots([tmp_path / "nowhere.json"])


def test_same_account_twice_raises_snapshot_error_naming_both_files() -> None:
    # GIVEN two snapshots of account 111111111111
    first, second = DENIED / f"{X}.json", GRANTED / f"{X}.json"
    # WHEN both are loaded THEN the second is refused, naming the first
    with pytest.raises(SnapshotError) as caught:
        load_snapshots([first, second])
    assert str(caught.value) == f"{second}: account {X} is also loaded from {first}"


# --- organization file ---------------------------------------------------------------------------------


def test_org_file_round_trips_into_organization() -> None:
    # GIVEN the example organization file
    raw = json.loads(ORG_FILE.read_text())
    full = parse_policy(raw["Accounts"][0]["ServiceControlPolicies"][0]["Policies"][0]["Document"])
    rcp = parse_policy(raw["Accounts"][0]["ResourceControlPolicies"][0]["Policies"][0]["Document"])
    # WHEN it is loaded
    organization = load_snapshots([ORG_FILE]).organization
    # THEN every field is there, chains root first, the string document equal to the object ones

    def chain(acct: str, ou: str, name: str, doc: PolicyDocument) -> tuple[PolicyLevel, ...]:
        return tuple(PolicyLevel(t, (NamedPolicy(name, doc),)) for t in ("r-a1b2", ou, acct))

    assert organization == Organization(
        org_id="o-a1b2c3d4e5",
        management_account_id="999999999999",
        account_ids=frozenset({X, Y, "999999999999"}),
        scps={
            X: chain(X, "ou-a1b2-k7m3q9xz", "FullAWSAccess", full),
            Y: chain(Y, "ou-a1b2-p4w8r2td", "FullAWSAccess", full),
        },
        rcps={
            X: chain(X, "ou-a1b2-k7m3q9xz", "RCPFullAWSAccess", rcp),
            Y: chain(Y, "ou-a1b2-p4w8r2td", "RCPFullAWSAccess", rcp),
        },
        org_paths={X: "o-a1b2c3d4e5/r-a1b2/ou-a1b2-k7m3q9xz/", Y: "o-a1b2c3d4e5/r-a1b2/ou-a1b2-p4w8r2td/"},
    )


def test_accounts_and_org_file_load_together_in_any_order() -> None:
    # GIVEN the granted case and the org file, the org file first
    files = [ORG_FILE, *sorted(GRANTED.glob("*.json"))]
    # WHEN loaded
    inventory = load_snapshots(files)
    # THEN both accounts and the organization are in the inventory
    assert set(inventory.accounts) == {X, Y}
    assert inventory.organization.org_id == "o-a1b2c3d4e5"
    assert inventory.role(f"arn:aws:iam::{Y}:role/foobaz") is not None


def test_minimal_org_file_leaves_chains_and_paths_out() -> None:
    # GIVEN an organization file with only ids
    data = {"Organization": {"Id": "o-a1b2c3d4e5"}, "Accounts": [{"Id": X}]}
    # WHEN parsed
    organization = parse_organization(data, source="org.json")
    # THEN the account is a member without chains or path
    assert organization == Organization(org_id="o-a1b2c3d4e5", account_ids=frozenset({X}))


def _org_with(**account: object) -> dict[str, Any]:
    return {"Organization": {"Id": "o-a1b2c3d4e5"}, "Accounts": [{"Id": X, **account}]}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            {"Organization": {"Id": "org-1"}}, "org.json: Organization.Id: not an organization id", id="bad-org-id"
        ),
        pytest.param({"Accounts": []}, "org.json: Organization: expected a JSON object, found null", id="no-header"),
        pytest.param(
            {"Organization": {"Id": "o-a1b2c3d4e5"}, "Accounts": [{"Id": X}, {"Id": X}]},
            "org.json: Accounts[1].Id: account 111111111111 is listed twice",
            id="account-twice",
        ),
        pytest.param(_org_with(Id="1111"), "org.json: Accounts[0].Id: not a 12-digit account id", id="bad-account-id"),
        pytest.param(
            _org_with(OrgPath="o-zzzzzzzzzz/r-a1b2/"), "org.json: Accounts[0].OrgPath: expected", id="path-of-other-org"
        ),
        pytest.param(
            _org_with(OrgPath="o-a1b2c3d4e5/r-a1b2/ou-a1b2-k7m3q9xz"),
            "org.json: Accounts[0].OrgPath: expected",
            id="path-without-trailing-slash",
        ),
        pytest.param(
            _org_with(
                ServiceControlPolicies=[
                    {"Target": "r-a1b2", "Policies": [{"Name": "Deny", "Document": OLD | {"Statement": 5}}]}
                ]
            ),
            "org.json: Accounts[0].ServiceControlPolicies[0].Policies[0].Document.Statement: ",
            id="bad-scp-document",
        ),
        pytest.param(
            _org_with(ResourceControlPolicies=[{"Policies": []}]),
            "org.json: Accounts[0].ResourceControlPolicies[0].Target: required but missing",
            id="level-without-target",
        ),
    ],
)
def test_bad_org_file_raises_snapshot_error_naming_the_place(data: dict[str, Any], expected: str) -> None:
    # GIVEN an organization file with one mistake WHEN parsed THEN SnapshotError names the place
    with pytest.raises(SnapshotError) as caught:
        parse_organization(data, source="org.json")
    assert str(caught.value).startswith(expected)


def test_second_org_file_raises_snapshot_error(tmp_path: Path) -> None:
    # GIVEN two organization files
    other = _write(tmp_path, "org2.json", {"Organization": {"Id": "o-a1b2c3d4e5"}})
    # WHEN both are loaded THEN the second is refused
    with pytest.raises(SnapshotError, match=r"org2\.json: a second organization file"):
        load_snapshots([ORG_FILE, other])


# --- offline -------------------------------------------------------------------------------------------


def test_snapshot_module_does_not_import_boto3() -> None:
    # GIVEN a fresh interpreter WHEN the snapshot module is imported THEN neither boto3 nor botocore is loaded
    code = "import sys, chalicelib.inventory.snapshot; print(sorted({'boto3', 'botocore'} & set(sys.modules)))"
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert result.stdout.strip() == "[]"
