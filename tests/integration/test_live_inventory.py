"""The live inventory route against moto's HTTP server: two accounts, the second through an assumed audit role.

Account 123456789012 (the caller, moto's default) holds the seed-001 roles RoleA..RoleE exactly as the seed
snapshot has them. Account 222222222222 holds a cross-account role with a permissions boundary, a user in a
group with an attached managed policy (two versions). Both are built through boto3 over HTTP, the second with the
credentials of its TrustwatchAudit role, and then read back by `LiveSource` and, dumped to files, by
`SnapshotSource`: the two routes must give the same inventory.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.exceptions import ClientError  # type: ignore[import-untyped]
from botocore.stub import Stubber  # type: ignore[import-untyped]

from chalicelib.cli import main
from chalicelib.iam.entities import Account, Inventory
from chalicelib.inventory.boto3_iam import GAAD_SOURCE, Backoff, IamAccountReader
from chalicelib.inventory.live import LiveSource
from chalicelib.inventory.port import AccountError, LoadResult, SnapshotSource
from chalicelib.inventory.snapshot import load_snapshots
from tests.conftest import SNAPSHOTS

CALLER = "123456789012"
MEMBER = "222222222222"
MISSING = "333333333333"
AUDIT_ROLE = "TrustwatchAudit"
SEED_001 = SNAPSHOTS / "seed-001" / f"{CALLER}.json"


def _doc(document: dict[str, Any]) -> str:
    return json.dumps(document)


def _allow(action: str, resource: str) -> str:
    return _doc({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})


def _trust(principal: str, condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return _doc({"Version": "2012-10-17", "Statement": [statement]})


def _session(endpoint: str, credentials: dict[str, str] | None = None) -> Any:
    keys = {}
    if credentials:
        keys = {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        }
    return boto3.session.Session(region_name="us-east-1", **keys)


def _client(endpoint: str, service: str, credentials: dict[str, str] | None = None) -> Any:
    return _session(endpoint, credentials).client(service, endpoint_url=endpoint)


def _audit_credentials(endpoint: str, account_id: str) -> dict[str, str]:
    """What the auditor gets in a member account (moto lets the credentials act in that account)."""
    role_arn = f"arn:aws:iam::{account_id}:role/{AUDIT_ROLE}"
    sts = _client(endpoint, "sts")
    credentials: dict[str, str] = sts.assume_role(RoleArn=role_arn, RoleSessionName="seed")["Credentials"]
    return credentials


def _decode(raw: Any) -> str:
    return urllib.parse.unquote(raw) if isinstance(raw, str) else json.dumps(raw)


def _seed_caller(iam: Any) -> None:
    """The seed-001 roles, created from the snapshot file itself so that their policies are the exact ones."""
    for role in json.loads(SEED_001.read_text())["RoleDetailList"]:
        iam.create_role(
            Path=role["Path"],
            RoleName=role["RoleName"],
            AssumeRolePolicyDocument=_decode(role["AssumeRolePolicyDocument"]),
        )
        for inline in role["RolePolicyList"]:
            iam.put_role_policy(
                RoleName=role["RoleName"],
                PolicyName=inline["PolicyName"],
                PolicyDocument=_decode(inline["PolicyDocument"]),
            )


def _seed_member(iam: Any) -> None:
    iam.create_role(RoleName=AUDIT_ROLE, AssumeRolePolicyDocument=_trust(f"arn:aws:iam::{CALLER}:root"))
    boundary = iam.create_policy(PolicyName="DeveloperBoundary", PolicyDocument=_allow("sts:AssumeRole", "*"))
    boundary_arn = boundary["Policy"]["Arn"]
    assume_any = iam.create_policy(
        PolicyName="AssumeAnyRole", PolicyDocument=_allow("sts:AssumeRole", f"arn:aws:iam::{MEMBER}:role/*")
    )
    assume_any_arn = assume_any["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=assume_any_arn, PolicyDocument=_allow("sts:AssumeRole", "*"), SetAsDefault=True)
    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn=assume_any_arn)
    iam.put_group_policy(GroupName="admins", PolicyName="read-iam", PolicyDocument=_allow("iam:Get*", "*"))
    # moto 5.2.5 drops a user's PermissionsBoundary (and lacks PutUserPermissionsBoundary): the role carries one.
    iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "platform"}])
    iam.add_user_to_group(GroupName="admins", UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="own-keys", PolicyDocument=_allow("iam:*AccessKey*", "*"))
    external_id = {"StringEquals": {"sts:ExternalId": "trustwatch-1234"}}
    iam.create_role(
        Path="/cross/",
        RoleName="foobaz",
        AssumeRolePolicyDocument=_trust(f"arn:aws:iam::{CALLER}:role/RoleA", external_id),
        PermissionsBoundary=boundary_arn,
        Tags=[{"Key": "owner", "Value": "partner"}],
    )
    iam.attach_role_policy(RoleName="foobaz", PolicyArn=assume_any_arn)


@pytest.fixture
def two_accounts(moto_endpoint: str) -> str:
    """GIVEN the caller's account with the seed-001 roles and a member account reached through its audit role."""
    _seed_caller(_client(moto_endpoint, "iam"))
    _client(moto_endpoint, "iam").create_role(
        RoleName=AUDIT_ROLE, AssumeRolePolicyDocument=_trust(f"arn:aws:iam::{CALLER}:root")
    )
    _seed_member(_client(moto_endpoint, "iam", _audit_credentials(moto_endpoint, MEMBER)))
    return moto_endpoint


def _live(endpoint: str, accounts: list[str], **options: Any) -> LiveSource:
    return LiveSource(endpoint_url=endpoint, accounts=accounts, assume_role_name=AUDIT_ROLE, **options)


def _dump_snapshots(endpoint: str, directory: Path) -> list[Path]:
    """Each account as `aws iam get-account-authorization-details` would save it (datetimes as text)."""
    paths = []
    for account_id, credentials in ((CALLER, None), (MEMBER, _audit_credentials(endpoint, MEMBER))):
        details = _client(endpoint, "iam", credentials).get_account_authorization_details()
        details.pop("ResponseMetadata")
        path = directory / f"{account_id}.json"
        path.write_text(json.dumps(details, default=str))
        paths.append(path)
    return paths


def _summary(inventory: Inventory) -> dict[str, Any]:
    """What the evaluator reads, as plain data, so a difference shows up as a readable diff."""

    def identity_policies(entity: Any) -> dict[str, Any]:
        return {
            "inline": {p.name: p.document.model_dump() for p in entity.inline_policies},
            "managed": sorted(entity.managed_policy_arns),
            "boundary": entity.boundary_arn,
        }

    return {
        account.account_id: {
            "roles": {
                arn: {
                    "trust": role.trust_policy.model_dump() if role.trust_policy else role.trust_policy_error,
                    **identity_policies(role),
                }
                for arn, role in account.roles.items()
            },
            "users": {
                arn: {"groups": sorted(u.group_names), **identity_policies(u)} for arn, u in account.users.items()
            },
            "groups": {name: identity_policies(g) for name, g in account.groups.items()},
            "managed_policies": {arn: p.document.model_dump() for arn, p in account.managed_policies.items()},
        }
        for account in inventory.accounts.values()
    }


def test_live_source_reads_both_accounts_through_the_audit_role(two_accounts: str) -> None:
    # WHEN both accounts are read live, the member through its audit role
    seen: list[str] = []
    result = _live(two_accounts, [CALLER, MEMBER]).load(progress=seen.append)

    # THEN both are there, nothing failed, and progress was reported per account
    assert result.errors == []
    assert seen == [CALLER, MEMBER]
    assert set(result.inventory.accounts) == {CALLER, MEMBER}
    member = result.inventory.accounts[MEMBER]
    alice = member.users[f"arn:aws:iam::{MEMBER}:user/alice"]
    assert alice.group_names == ("admins",)
    assert [p.name for p in alice.inline_policies] == ["own-keys"]
    assert member.groups["admins"].managed_policy_arns == (f"arn:aws:iam::{MEMBER}:policy/AssumeAnyRole",)
    foobaz = member.roles[f"arn:aws:iam::{MEMBER}:role/cross/foobaz"]
    assert foobaz.boundary_arn == f"arn:aws:iam::{MEMBER}:policy/DeveloperBoundary"
    assert foobaz.trust_policy is not None
    assert foobaz.trust_policy.statements[0].principal is not None
    assert foobaz.trust_policy.statements[0].principal.aws == (f"arn:aws:iam::{CALLER}:role/RoleA",)
    assert foobaz.tags == (("owner", "partner"),)
    default = member.managed_policies[f"arn:aws:iam::{MEMBER}:policy/AssumeAnyRole"].document
    assert default.statements[0].resource == ("*",)  # v2, the default version, not v1


def test_live_roles_are_the_seed_snapshot_roles(two_accounts: str) -> None:
    # WHEN the caller's account is read live (no accounts named: the caller's own)
    live = LiveSource(endpoint_url=two_accounts).load().inventory
    seed = load_snapshots([SEED_001])

    # THEN RoleA..RoleE have the seed file's paths, trust and inline policies (ids and dates differ, by design)
    seed_roles = _summary(seed)[CALLER]["roles"]
    live_roles = _summary(live)[CALLER]["roles"]
    assert {arn: live_roles[arn] for arn in seed_roles} == seed_roles
    assert set(live_roles) - set(seed_roles) == {f"arn:aws:iam::{CALLER}:role/{AUDIT_ROLE}"}


def test_live_and_snapshot_routes_give_the_same_inventory(two_accounts: str, tmp_path: Path) -> None:
    # WHEN the same accounts are read live and from their dumped snapshots
    live = _live(two_accounts, [CALLER, MEMBER]).load()
    snapshot = SnapshotSource(_dump_snapshots(two_accounts, tmp_path)).load(progress=None)

    # THEN the inventories agree on everything the evaluator reads, and in fact entirely
    assert live.errors == snapshot.errors == []
    assert _summary(live.inventory) == _summary(snapshot.inventory)
    assert live.inventory.accounts == snapshot.inventory.accounts


def _deny_assume_role_into(session: Any, account_id: str) -> None:
    """What AWS answers when the audit role is missing or does not trust us (moto would let it through: G9)."""

    def deny(params: dict[str, Any], **_: Any) -> None:
        if f"::{account_id}:" in params["RoleArn"]:
            error = {"Error": {"Code": "AccessDenied", "Message": "not authorized to perform sts:AssumeRole"}}
            raise ClientError(error, "AssumeRole")

    session.events.register("before-parameter-build.sts.AssumeRole", deny)


def test_an_account_whose_audit_role_cannot_be_assumed_is_an_error_and_the_others_are_read(two_accounts: str) -> None:
    # GIVEN a third account whose audit role denies us
    session = _session(two_accounts)
    _deny_assume_role_into(session, MISSING)

    # WHEN the three accounts are read
    seen: list[str] = []
    result = LiveSource(
        session, endpoint_url=two_accounts, accounts=[CALLER, MISSING, MEMBER], assume_role_name=AUDIT_ROLE
    ).load(seen.append)

    # THEN the third is one error naming the role, and the other two are read in full
    assert result.errors == [
        AccountError(
            MISSING,
            f"sts:AssumeRole arn:aws:iam::{MISSING}:role/{AUDIT_ROLE}",
            "AccessDenied: not authorized to perform sts:AssumeRole",
        )
    ]
    assert set(result.inventory.accounts) == {CALLER, MEMBER}
    assert seen == [CALLER, MISSING, MEMBER]


def test_access_denied_on_authorization_details_is_an_error_and_the_others_are_read(two_accounts: str) -> None:
    # GIVEN the member's audit role may not call GetAccountAuthorizationDetails
    class DeniedInMember:
        def __init__(self, client: Any) -> None:
            self._client = client

        def read(self, account_id_hint: str | None = None) -> Account:
            if account_id_hint == MEMBER:
                stubber = Stubber(self._client)
                stubber.add_client_error("get_account_authorization_details", "AccessDenied", "not authorized", 403)
                stubber.activate()
            return IamAccountReader(self._client).read(account_id_hint)

    # WHEN both accounts are read
    result = _live(two_accounts, [CALLER, MEMBER], reader_factory=DeniedInMember).load()

    # THEN the member is an error from the IAM call and the caller's account is read
    assert result.errors == [AccountError(MEMBER, GAAD_SOURCE, "AccessDenied: not authorized")]
    assert set(result.inventory.accounts) == {CALLER}


def _throttle_first_calls(client: Any, times: int) -> None:
    """IAM answering ThrottlingException ``times`` times before letting the call through to moto."""
    remaining = [times]

    def throttle(**_: Any) -> None:
        if remaining[0] > 0:
            remaining[0] -= 1
            raise ClientError(
                {"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "GetAccountAuthorizationDetails"
            )

    client.meta.events.register("before-call.iam.GetAccountAuthorizationDetails", throttle)


def test_a_throttled_account_is_read_after_backing_off_without_really_sleeping(two_accounts: str) -> None:
    # GIVEN an IAM endpoint that throttles twice, and a backoff whose sleeps are recorded instead of slept
    client = _client(two_accounts, "iam")
    _throttle_first_calls(client, times=2)
    sleeps: list[float] = []
    reader = IamAccountReader(client, backoff=Backoff(sleep=sleeps.append, random=lambda: 0.5))

    # WHEN the account is read
    started = time.perf_counter()
    account = reader.read(CALLER)

    # THEN it is read in full, after two growing waits that were never actually slept
    assert f"arn:aws:iam::{CALLER}:role/RoleA" in account.roles
    assert sleeps == [0.75, 1.5]
    assert time.perf_counter() - started < 1.0


def test_organization_scan_outside_an_organization_reads_the_caller_and_says_why(moto_endpoint: str) -> None:
    # GIVEN an account that belongs to no organization
    _client(moto_endpoint, "iam").create_role(
        RoleName="solo", AssumeRolePolicyDocument=_trust(f"arn:aws:iam::{CALLER}:root")
    )

    # WHEN it is scanned as an organization
    result = LiveSource(endpoint_url=moto_endpoint, organization=True, assume_role_name=AUDIT_ROLE).load()

    # THEN the caller's account is still read, and the organization is one error
    assert isinstance(result, LoadResult)
    assert list(result.inventory.accounts) == [CALLER]
    assert [(e.account_id, e.source) for e in result.errors] == [(None, "organizations")]
    assert "AWSOrganizationsNotInUseException" in result.errors[0].message


def test_trustwatch_scan_live_multi_account_finds_what_the_snapshot_route_finds(
    two_accounts: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # WHEN `trustwatch scan` runs live over HTTP, reaching the member account through the audit role
    live_args = ["scan", "--endpoint-url", two_accounts, "--assume-role-name", AUDIT_ROLE, "--account", CALLER, MEMBER]
    assert main([*live_args, "--format", "json"]) == 0
    live = json.loads(capsys.readouterr().out)
    # AND over the same accounts dumped as snapshot files
    snapshots = [a for p in _dump_snapshots(two_accounts, tmp_path) for a in ("--snapshot", str(p))]
    assert main(["scan", *snapshots, "--format", "json"]) == 0
    offline = json.loads(capsys.readouterr().out)

    # THEN both routes report the same findings, ids included, and nothing failed to read
    assert live["errors"] == offline["errors"] == []
    assert live["findings"] == offline["findings"]
    by_rule = {(f["rule_id"], f["role_arn"]) for f in live["findings"]}
    # the seed-001 lessons, and the member role trusting another account's role (an untrusted account here)
    assert ("trust-bypasses-caller-policy", f"arn:aws:iam::{CALLER}:role/RoleC") in by_rule
    assert ("untrusted-account", f"arn:aws:iam::{MEMBER}:role/cross/foobaz") in by_rule
    assert ("broad-assume-permission", None) in by_rule
