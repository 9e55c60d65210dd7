"""The boto3 adapters of the inventory port, without a network.

`IamAccountReader` is driven through botocore's Stubber (moto never pages GetAccountAuthorizationDetails, G8),
`OrganizationReader` and `LiveSource` through moto in-process, with botocore event hooks where AWS would say no
and moto would not.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.exceptions import ClientError  # type: ignore[import-untyped]
from botocore.stub import Stubber  # type: ignore[import-untyped]
from moto import mock_aws

from chalicelib.iam.entities import Account, Inventory
from chalicelib.inventory.boto3_iam import GAAD_FILTER, GAAD_PAGE_SIZE, GAAD_SOURCE, Backoff, IamAccountReader
from chalicelib.inventory.errors import InventoryError
from chalicelib.inventory.live import LiveSource
from chalicelib.inventory.organizations import OrganizationReader
from chalicelib.inventory.port import AccountError, InMemorySource, InventorySource, SnapshotSource
from chalicelib.inventory.snapshot import SnapshotError
from tests.conftest import SNAPSHOTS

ACCOUNT = "111111111111"
CALLER = "123456789012"  # moto's default account
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _encoded(document: dict[str, Any]) -> str:
    """How the IAM API sends policy documents: URL-encoded JSON."""
    return urllib.parse.quote(json.dumps(document))


def _trust(principal: str) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    return {"Version": "2012-10-17", "Statement": [statement]}


def _role(name: str) -> dict[str, Any]:
    return {
        "RoleName": name,
        "Path": "/",
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "AssumeRolePolicyDocument": _encoded(_trust(f"arn:aws:iam::{ACCOUNT}:root")),
    }


def _policy(arn: str) -> dict[str, Any]:
    version = {"Document": _encoded(ALLOW_ALL), "VersionId": "v1", "IsDefaultVersion": True}
    return {"Arn": arn, "DefaultVersionId": "v1", "PolicyVersionList": [version]}


def _page_1() -> dict[str, Any]:
    """A first page, built afresh each time: botocore decodes the documents of a response in place."""
    return {
        "UserDetailList": [
            {
                "UserName": "alice",
                "Arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
                "GroupList": ["admins"],
                "PermissionsBoundary": {
                    "PermissionsBoundaryType": "Policy",
                    "PermissionsBoundaryArn": f"arn:aws:iam::{ACCOUNT}:policy/Boundary",
                },
            }
        ],
        "GroupDetailList": [{"GroupName": "admins", "Arn": f"arn:aws:iam::{ACCOUNT}:group/admins"}],
        "RoleDetailList": [_role("first")],
        "Policies": [_policy(f"arn:aws:iam::{ACCOUNT}:policy/Boundary")],
        "IsTruncated": True,
        "Marker": "page-2",
    }


def _page_2() -> dict[str, Any]:
    return {
        "RoleDetailList": [_role("second")],
        "Policies": [_policy("arn:aws:iam::aws:policy/AdministratorAccess")],
        "IsTruncated": False,
    }


FIRST_CALL = {"Filter": list(GAAD_FILTER), "MaxItems": GAAD_PAGE_SIZE}


@pytest.fixture
def iam() -> Any:
    """A real IAM client that never reaches a network: every call is answered by a Stubber."""
    return boto3.client("iam", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


class _Sleeps:
    """A `Backoff` sleep that records instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def _reader(client: Any, sleeps: _Sleeps, attempts: int = 4) -> IamAccountReader:
    return IamAccountReader(client, backoff=Backoff(attempts=attempts, sleep=sleeps, random=lambda: 0.5))


# --- IamAccountReader -------------------------------------------------------------------------------------


def test_pages_are_merged_into_one_account(iam: Any) -> None:
    # GIVEN GetAccountAuthorizationDetails answering in two pages
    with Stubber(iam) as stubber:
        stubber.add_response("get_account_authorization_details", _page_1(), FIRST_CALL)
        stubber.add_response("get_account_authorization_details", _page_2(), {**FIRST_CALL, "Marker": "page-2"})

        # WHEN the account is read
        account = IamAccountReader(iam).read(ACCOUNT)
        stubber.assert_no_pending_responses()

    # THEN users, groups, roles and policies of both pages are in one account
    assert account.account_id == ACCOUNT
    assert sorted(account.roles) == [f"arn:aws:iam::{ACCOUNT}:role/first", f"arn:aws:iam::{ACCOUNT}:role/second"]
    assert sorted(account.managed_policies) == [
        f"arn:aws:iam::{ACCOUNT}:policy/Boundary",
        "arn:aws:iam::aws:policy/AdministratorAccess",
    ]
    alice = account.users[f"arn:aws:iam::{ACCOUNT}:user/alice"]
    assert (alice.group_names, alice.boundary_arn) == (("admins",), f"arn:aws:iam::{ACCOUNT}:policy/Boundary")
    assert list(account.groups) == ["admins"]
    assert account.errors == []  # IsTruncated of page 1 is not mistaken for a cut-off snapshot


def test_access_denied_becomes_an_inventory_error_naming_the_account_and_call(iam: Any) -> None:
    with Stubber(iam) as stubber:
        stubber.add_client_error("get_account_authorization_details", "AccessDenied", "no iam:GetAccount*", 403)
        with pytest.raises(InventoryError) as raised:
            IamAccountReader(iam).read(ACCOUNT)
    assert (raised.value.account_id, raised.value.source) == (ACCOUNT, GAAD_SOURCE)
    assert raised.value.message == "AccessDenied: no iam:GetAccount*"
    assert isinstance(raised.value.__cause__, ClientError)


@pytest.mark.parametrize("code", ["Throttling", "ThrottlingException", "RequestLimitExceeded"])
def test_a_throttled_page_is_retried_with_growing_waits(iam: Any, code: str) -> None:
    # GIVEN a first page throttled twice, then a second page that is throttled once
    sleeps = _Sleeps()
    with Stubber(iam) as stubber:
        stubber.add_client_error("get_account_authorization_details", code, "Rate exceeded", 400)
        stubber.add_client_error("get_account_authorization_details", code, "Rate exceeded", 400)
        stubber.add_response("get_account_authorization_details", _page_1(), FIRST_CALL)
        stubber.add_client_error("get_account_authorization_details", code, "Rate exceeded", 400)
        stubber.add_response("get_account_authorization_details", _page_2(), {**FIRST_CALL, "Marker": "page-2"})

        # WHEN the account is read
        account = _reader(iam, sleeps).read(ACCOUNT)

    # THEN every page arrives, the first waits grew, and the retry count starts again for the next page
    assert len(account.roles) == 2
    assert sleeps.waits == [0.75, 1.5, 0.75]


def test_throttled_beyond_the_attempts_is_an_inventory_error(iam: Any) -> None:
    sleeps = _Sleeps()
    with Stubber(iam) as stubber:
        for _ in range(3):
            stubber.add_client_error("get_account_authorization_details", "Throttling", "Rate exceeded", 400)
        with pytest.raises(InventoryError, match=r"still throttled after up to 3 attempts"):
            _reader(iam, sleeps, attempts=3).read(ACCOUNT)
    assert sleeps.waits == [0.75, 1.5]


def test_a_wait_longer_than_the_time_left_is_not_started(iam: Any) -> None:
    # GIVEN a reader whose caller has 3 s left: the first wait (0.75 s) fits with the 2 s reserve, the second does not
    sleeps = _Sleeps()
    backoff = Backoff(attempts=4, sleep=sleeps, random=lambda: 0.5, left=lambda: 3.0 - sum(sleeps.waits))
    with Stubber(iam) as stubber:
        for _ in range(2):
            stubber.add_client_error("get_account_authorization_details", "Throttling", "Rate exceeded", 400)
        # THEN it gives up after the second attempt instead of sleeping past the end of the invocation
        with pytest.raises(InventoryError, match=r"Throttling: Rate exceeded \(still throttled after up to 4"):
            IamAccountReader(iam, backoff=backoff).read(ACCOUNT)
    assert sleeps.waits == [0.75]


def test_other_errors_are_not_retried(iam: Any) -> None:
    sleeps = _Sleeps()
    with Stubber(iam) as stubber:
        stubber.add_client_error("get_account_authorization_details", "ServiceFailure", "boom", 500)
        with pytest.raises(InventoryError, match="ServiceFailure: boom"):
            _reader(iam, sleeps).read(ACCOUNT)
    assert sleeps.waits == []


def test_backoff_waits_double_up_to_the_cap() -> None:
    backoff = Backoff(base=1.0, cap=8.0, random=lambda: 1.0)
    assert [backoff.delay(retry) for retry in range(6)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    low = Backoff(base=1.0, cap=8.0, random=lambda: 0.0)
    assert [low.delay(retry) for retry in range(4)] == [0.5, 1.0, 2.0, 4.0]


def test_an_empty_account_takes_its_id_from_the_hint(iam: Any) -> None:
    # GIVEN an account with nothing in it but AWS managed policies: no ARN names the account
    with Stubber(iam) as stubber:
        stubber.add_response("get_account_authorization_details", _page_2() | {"RoleDetailList": []}, FIRST_CALL)
        account = IamAccountReader(iam).read(ACCOUNT)
    assert account == Account(account_id=ACCOUNT)


def test_credentials_of_another_account_are_an_error(iam: Any) -> None:
    # GIVEN credentials that turn out to read account 111111111111 when 999999999999 was meant
    with Stubber(iam) as stubber:
        stubber.add_response("get_account_authorization_details", _page_2(), FIRST_CALL)
        with pytest.raises(InventoryError, match="read account 111111111111, not 999999999999"):
            IamAccountReader(iam).read("999999999999")


# --- OrganizationReader -------------------------------------------------------------------------------------


@pytest.fixture
def moto(aws_env: None) -> Iterator[None]:
    with mock_aws():
        yield


def _scp(name: str) -> str:
    statement = {"Sid": name, "Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _organization() -> tuple[Any, dict[str, str]]:
    """GIVEN an organization: root, OU "prod" with an SCP, OU "apps" inside it, and a member account in "apps"."""
    org = boto3.client("organizations", region_name="us-east-1")
    org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    root = org.list_roots()["Roots"][0]["Id"]
    prod = org.create_organizational_unit(ParentId=root, Name="prod")["OrganizationalUnit"]["Id"]
    apps = org.create_organizational_unit(ParentId=prod, Name="apps")["OrganizationalUnit"]["Id"]
    member = org.create_account(Email="member@example.com", AccountName="member")["CreateAccountStatus"]["AccountId"]
    org.move_account(AccountId=member, SourceParentId=root, DestinationParentId=apps)
    policy = org.create_policy(
        Content=_scp("DenyAssume"), Description="", Name="DenyAssume", Type="SERVICE_CONTROL_POLICY"
    )
    org.attach_policy(PolicyId=policy["Policy"]["PolicySummary"]["Id"], TargetId=prod)
    return org, {"org": org_id, "root": root, "prod": prod, "apps": apps, "member": member}


def test_organization_paths_and_chains_are_read_root_first(moto: None) -> None:
    org, ids = _organization()

    # WHEN the organization is read
    result = OrganizationReader(org).read()

    # THEN the member has its path and its root-first SCP chain; the management account has a path but no chain
    organization = result.organization
    assert organization is not None
    assert result.notes == ()
    assert (organization.org_id, organization.management_account_id) == (ids["org"], CALLER)
    assert organization.account_ids == {CALLER, ids["member"]}
    assert set(result.active_account_ids) == {CALLER, ids["member"]}
    assert organization.org_paths[ids["member"]] == f"{ids['org']}/{ids['root']}/{ids['prod']}/{ids['apps']}/"
    assert organization.org_paths[CALLER] == f"{ids['org']}/{ids['root']}/"
    chain = organization.scps[ids["member"]]
    assert [level.name for level in chain] == [ids["root"], ids["prod"], ids["apps"], ids["member"]]
    assert [p.name for p in chain[1].policies] == ["FullAWSAccess", "DenyAssume"]
    assert [level.name for level in organization.rcps[ids["member"]]] == [level.name for level in chain]
    assert CALLER not in organization.scps and CALLER not in organization.rcps


def _refuse(client: Any, operation: str, code: str, when: dict[str, str] | None = None) -> None:
    """Make ``client`` answer ``code`` for ``operation`` (when its parameters include ``when``)."""

    def refuse(params: dict[str, Any], **_: Any) -> None:
        if when is None or when.items() <= params.items():
            raise ClientError({"Error": {"Code": code, "Message": "refused"}}, operation)

    client.meta.events.register(f"before-parameter-build.organizations.{operation}", refuse)


def test_unreadable_rcps_are_a_note_and_the_scps_are_kept(moto: None) -> None:
    # GIVEN an organization where listing RCPs fails
    org, ids = _organization()
    _refuse(org, "ListPoliciesForTarget", "PolicyTypeNotEnabledException", {"Filter": "RESOURCE_CONTROL_POLICY"})

    result = OrganizationReader(org).read()

    assert result.organization is not None
    assert result.organization.rcps == {}
    assert ids["member"] in result.organization.scps
    assert result.notes == ("RCPs not readable, left out: PolicyTypeNotEnabledException: refused",)


def test_outside_an_organization_there_is_none_and_a_note(moto: None) -> None:
    result = OrganizationReader(boto3.client("organizations", region_name="us-east-1")).read()
    assert result.organization is None
    assert result.notes[0].startswith("organization not readable: AWSOrganizationsNotInUseException")


def test_a_member_that_may_not_list_accounts_keeps_the_org_id(moto: None) -> None:
    org, ids = _organization()
    _refuse(org, "ListAccounts", "AccessDeniedException")

    result = OrganizationReader(org).read()

    assert result.organization is not None
    assert result.organization.org_id == ids["org"]
    assert result.active_account_ids == ()
    assert result.notes == ("organization accounts not readable: AccessDeniedException: refused",)


def test_access_denied_on_the_organization_is_none_and_a_note() -> None:
    org = boto3.client("organizations", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(org) as stubber:
        stubber.add_client_error("describe_organization", "AccessDeniedException", "no", 400)
        result = OrganizationReader(org).read()
    assert result.organization is None
    assert result.notes == ("organization not readable: AccessDeniedException: no",)


# --- LiveSource ----------------------------------------------------------------------------------------------


def _create_role(account_credentials: dict[str, str] | None, name: str) -> None:
    keys = {}
    if account_credentials:
        keys = {
            "aws_access_key_id": account_credentials["AccessKeyId"],
            "aws_secret_access_key": account_credentials["SecretAccessKey"],
            "aws_session_token": account_credentials["SessionToken"],
        }
    iam = boto3.client("iam", region_name="us-east-1", **keys)
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(_trust(f"arn:aws:iam::{CALLER}:root")))


def _assume(account_id: str, role_name: str) -> dict[str, str]:
    sts = boto3.client("sts", region_name="us-east-1")
    role_arn = f"arn:aws:iam::{account_id}:role/{role_name}"
    credentials: dict[str, str] = sts.assume_role(RoleArn=role_arn, RoleSessionName="seed")["Credentials"]
    return credentials


def test_the_caller_account_is_read_without_assuming_anything(moto: None) -> None:
    _create_role(None, "app")
    seen: list[str] = []
    result = LiveSource().load(seen.append)
    assert result.errors == []
    assert seen == [CALLER]
    assert list(result.inventory.accounts[CALLER].roles) == [f"arn:aws:iam::{CALLER}:role/app"]


def test_an_organization_scan_reads_every_active_member_through_the_audit_role(moto: None) -> None:
    # GIVEN an organization whose member has a role, created through the member's audit role
    _, ids = _organization()
    _create_role(_assume(ids["member"], "OrganizationAccountAccessRole"), "workload")
    seen: list[str] = []

    # WHEN the organization is scanned
    source = LiveSource(organization=True, assume_role_name="OrganizationAccountAccessRole")
    result = source.load(seen.append)

    # THEN both accounts are read, with the organization's data
    assert result.errors == []
    assert sorted(seen) == sorted([CALLER, ids["member"]])
    assert f"arn:aws:iam::{ids['member']}:role/workload" in result.inventory.accounts[ids["member"]].roles
    assert result.inventory.organization.org_id == ids["org"]
    assert ids["member"] in result.inventory.organization.scps


def test_another_account_without_an_audit_role_name_is_an_error(moto: None) -> None:
    result = LiveSource(accounts=[CALLER, "222222222222"]).load()
    assert list(result.inventory.accounts) == [CALLER]
    assert [(e.account_id, e.source) for e in result.errors] == [("222222222222", "sts:AssumeRole")]


def test_the_external_id_and_session_name_are_sent_with_assume_role(moto: None) -> None:
    # GIVEN a session that records the AssumeRole parameters
    session = boto3.session.Session(region_name="us-east-1")
    sent: list[dict[str, Any]] = []
    session.events.register("before-parameter-build.sts.AssumeRole", lambda params, **_: sent.append(dict(params)))

    LiveSource(session, accounts=["222222222222"], assume_role_name="Audit", external_id="xyz").load()

    role_arn = "arn:aws:iam::222222222222:role/Audit"
    assert sent == [{"RoleArn": role_arn, "RoleSessionName": "trustwatch-audit", "ExternalId": "xyz"}]


def test_an_account_whose_reader_fails_is_an_error_and_the_next_is_read(moto: None) -> None:
    class FailsFor:
        def __init__(self, client: Any) -> None:
            self._reader = IamAccountReader(client)

        def read(self, account_id_hint: str | None = None) -> Account:
            if account_id_hint == "222222222222":
                raise InventoryError(account_id_hint, "AccessDenied: no", source=GAAD_SOURCE)
            return self._reader.read(account_id_hint)

    source = LiveSource(accounts=["222222222222", CALLER], assume_role_name="Audit", reader_factory=FailsFor)
    result = source.load()
    assert result.errors == [AccountError("222222222222", GAAD_SOURCE, "AccessDenied: no")]
    assert list(result.inventory.accounts) == [CALLER]


def test_credentials_that_cannot_identify_themselves_stop_the_load(moto: None) -> None:
    session = boto3.session.Session(region_name="us-east-1")

    def expired(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "ExpiredToken", "Message": "expired"}}, "GetCallerIdentity")

    session.events.register("before-parameter-build.sts.GetCallerIdentity", expired)
    with pytest.raises(InventoryError, match="ExpiredToken: expired") as raised:
        LiveSource(session).load()
    assert raised.value.source == "sts:GetCallerIdentity"


def test_a_session_and_a_profile_are_exclusive() -> None:
    with pytest.raises(ValueError, match="not both"):
        LiveSource(object(), profile="audit")


# --- the port ------------------------------------------------------------------------------------------------


def test_snapshot_and_in_memory_sources_implement_the_port() -> None:
    paths = sorted((SNAPSHOTS / "seed-000-granted").glob("*.json"))
    seen: list[str] = []
    snapshot: InventorySource = SnapshotSource(paths)
    loaded = snapshot.load(seen.append)
    assert sorted(seen) == ["111111111111", "222222222222"]
    assert loaded.errors == []

    error = AccountError("333333333333", "sts:AssumeRole", "AccessDenied")
    fake: InventorySource = InMemorySource(Inventory([]), [error])
    assert fake.load().errors == [error]


def test_a_bad_snapshot_file_is_bad_input(tmp_path: Any) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(SnapshotError):
        SnapshotSource([bad]).load()
