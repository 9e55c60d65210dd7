"""Account files from the wild: one bad entry never rejects the file, and a file of several accounts is split."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.cli import main
from chalicelib.config import Config
from chalicelib.inventory.snapshot import SnapshotError, load_snapshots, parse_authorization_details
from chalicelib.rules.engine import audit_inventory

A, X = "123456789012", "111111111111"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
BAD_USER = "arn:aws:iam::aws:user/x"
ATTACHED_ADMIN = [{"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN}]
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _trust(account: str) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}
    return {"Version": "2012-10-17", "Statement": [statement]}


def _role(name: str, account: str = A, trusted: str = "999999999999", **extra: object) -> dict[str, Any]:
    arn = f"arn:aws:iam::{account}:role/{name}"
    return {"RoleName": name, "RoleId": f"AROA{name.upper():0<16}", "Arn": arn, "Path": "/",
            "AssumeRolePolicyDocument": _trust(trusted), **extra}  # fmt: skip


def _user(name: str, arn: str, **extra: object) -> dict[str, Any]:
    return {"UserName": name, "UserId": f"AIDA{name.upper():0<16}", "Arn": arn, "Path": "/", **extra}


def _policy(arn: str) -> dict[str, Any]:
    version = {"VersionId": "v1", "IsDefaultVersion": True, "Document": ALLOW_ALL}
    return {"PolicyName": arn.rsplit("/", 1)[-1], "Arn": arn, "DefaultVersionId": "v1", "PolicyVersionList": [version]}


def _write(tmp_path: Path, data: dict[str, Any], name: str = "demo.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


# A public demo file: two users whose ARNs name the "aws" account, beside ordinary entries.
DEMO = {
    "UserDetailList": [
        _user("alice", f"arn:aws:iam::{A}:user/alice"),
        _user("aws-demo-1", "arn:aws:iam::aws:user/aws-demo-1"),
        _user("aws-demo-2", "arn:aws:iam::aws:user/aws-demo-2"),
    ],
    "RoleDetailList": [_role("Vendor")],
}


def test_users_with_an_aws_account_arn_are_left_out_and_named(tmp_path: Path) -> None:
    # GIVEN the demo file WHEN loaded
    path = _write(tmp_path, DEMO)
    account = load_snapshots([path]).accounts[A]
    # THEN alice and the role are there, and each bad user is named with its file and place
    assert set(account.users) == {f"arn:aws:iam::{A}:user/alice"}
    assert set(account.roles) == {f"arn:aws:iam::{A}:role/Vendor"}
    assert account.errors == [
        f"{path}: UserDetailList[1].Arn: not an IAM ARN of an account: 'arn:aws:iam::aws:user/aws-demo-1'; "
        "entry UserDetailList[1] ('aws-demo-1') left out",
        f"{path}: UserDetailList[2].Arn: not an IAM ARN of an account: 'arn:aws:iam::aws:user/aws-demo-2'; "
        "entry UserDetailList[2] ('aws-demo-2') left out",
    ]


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        pytest.param({"RoleName": "NoArn"}, "RoleDetailList[1].Arn: required but missing", id="no-arn"),
        pytest.param("arn:aws:iam::123456789012:role/S", "RoleDetailList[1]: expected a JSON object", id="string"),
        pytest.param(_role("T", Tags="team=blue"), "RoleDetailList[1].Tags: expected a list", id="tags-not-a-list"),
        pytest.param(_role("T", RoleName=7), "RoleDetailList[1].RoleName: expected a string", id="name-not-a-string"),
    ],
)
def test_a_bad_role_entry_is_left_out_and_the_rest_is_read(tmp_path: Path, bad: object, expected: str) -> None:
    # GIVEN a good role and a bad entry after it
    path = _write(tmp_path, {"RoleDetailList": [_role("Good"), bad]})
    # WHEN loaded
    account = load_snapshots([path]).accounts[A]
    # THEN the good role is read and the bad entry named, with the file and its place
    assert set(account.roles) == {f"arn:aws:iam::{A}:role/Good"}
    assert len(account.errors) == 1 and account.errors[0].startswith(f"{path}: {expected}")
    assert "RoleDetailList[1]" in account.errors[0] and account.errors[0].endswith("left out")


def test_a_user_whose_group_list_is_a_string_is_left_out(tmp_path: Path) -> None:
    # GIVEN a user with GroupList "admins" (not a list) and a role
    bad = _user("u", f"arn:aws:iam::{A}:user/u", GroupList="admins")
    account = load_snapshots([_write(tmp_path, {"UserDetailList": [bad], "RoleDetailList": [_role("R")]})]).accounts[A]
    # THEN the role is read, the user left out and named
    assert not account.users and set(account.roles) == {f"arn:aws:iam::{A}:role/R"}
    assert "UserDetailList[0].GroupList: expected a list of strings" in account.errors[0]
    assert account.errors[0].endswith("entry UserDetailList[0] ('u') left out")


def test_an_entry_listed_twice_is_reported(tmp_path: Path) -> None:
    # GIVEN the same role ARN twice
    path = _write(tmp_path, {"RoleDetailList": [_role("R"), _role("R", trusted=X)]})
    account = load_snapshots([path]).accounts[A]
    # THEN the later entry is kept and the repetition named
    assert account.roles[f"arn:aws:iam::{A}:role/R"].trust_policy is not None
    assert account.errors == [
        f"{path}: RoleDetailList[1]: arn:aws:iam::{A}:role/R is listed again (first at RoleDetailList[0]); "
        "the later entry is kept"
    ]


def test_a_file_of_only_bad_entries_is_refused_with_the_first_reason(tmp_path: Path) -> None:
    path = _write(tmp_path, {"UserDetailList": [_user("x", BAD_USER)]})
    with pytest.raises(SnapshotError) as caught:
        load_snapshots([path])
    assert str(caught.value) == f"{path}: UserDetailList[0].Arn: not an IAM ARN of an account: {BAD_USER!r}"


# --- several accounts in one file -----------------------------------------------------------------------


MIXED = {
    "UserDetailList": [_user("alice", f"arn:aws:iam::{A}:user/alice", AttachedManagedPolicies=ATTACHED_ADMIN)],
    "RoleDetailList": [_role("Here"), _role("There", account=X)],
    "Policies": [_policy(f"arn:aws:iam::{X}:policy/Own"), _policy(ADMIN)],
}


def test_a_file_that_mixes_accounts_is_split_by_account(tmp_path: Path) -> None:
    # GIVEN one file with entries of two accounts WHEN loaded
    inventory = load_snapshots([_write(tmp_path, MIXED)])
    # THEN each account holds its own entries, customer managed policies included
    assert set(inventory.accounts) == {A, X}
    assert set(inventory.accounts[A].roles) == {f"arn:aws:iam::{A}:role/Here"}
    assert set(inventory.accounts[X].roles) == {f"arn:aws:iam::{X}:role/There"}
    assert f"arn:aws:iam::{X}:policy/Own" in inventory.accounts[X].managed_policies
    # AND an AWS managed policy serves every account
    assert inventory.managed_policy(A, ADMIN) is not None and inventory.managed_policy(X, ADMIN) is not None
    assert all(not a.errors for a in inventory.accounts.values())


def test_an_account_of_a_split_file_also_given_in_another_file_is_refused(tmp_path: Path) -> None:
    mixed = _write(tmp_path, MIXED)
    other = _write(tmp_path, {"RoleDetailList": [_role("Again", account=X)]}, name="x.json")
    with pytest.raises(SnapshotError, match=f"account {X} is also loaded from {mixed}"):
        load_snapshots([mixed, other])


def test_one_account_is_expected_from_iams_own_answer() -> None:
    # GIVEN the live reader's case: IAM answers for one account; two would be an unexpected response
    with pytest.raises(SnapshotError, match=f"holds entries of 2 accounts \\({A}, {X}\\)"):
        parse_authorization_details(MIXED, source="GetAccountAuthorizationDetails")


# --- the scan audits the rest and reports each bad entry -----------------------------------------------


def test_scan_reports_each_bad_entry_as_an_audit_error_beside_the_other_findings(tmp_path: Path) -> None:
    # GIVEN the demo file, whose role trusts an unknown account
    inventory = load_snapshots([_write(tmp_path, DEMO)])
    # WHEN audited
    result = audit_inventory(inventory, Config())
    # THEN the role's findings are there, and one audit-error per bad user names it
    rules = [f.rule_id for f in result.findings]
    assert "untrusted-account" in rules
    errors = [f for f in result.findings if f.rule_id == "audit-error"]
    assert sorted(e.evidence["message"].split("; entry ")[1] for e in errors) == [
        "UserDetailList[1] ('aws-demo-1') left out",
        "UserDetailList[2] ('aws-demo-2') left out",
    ]


def test_scan_command_audits_a_file_with_bad_entries(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, DEMO)
    main(["scan", "--snapshot", str(path), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert any("aws-demo-1" in e["message"] for e in report["errors"])
    assert any(f["rule_id"] == "untrusted-account" for f in report["findings"])
