"""Live accounts through boto3: the caller's account, a list of accounts, or a whole organization.

Accounts other than the caller's are read through an audit role assumed in each of them. One account that
cannot be read (AssumeRole denied, AccessDenied, throttled beyond the retries) becomes an `AccountError` and
the others are still read; only credentials that cannot even identify themselves stop the load.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import boto3  # type: ignore[import-untyped]
from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from ..iam.entities import Account, Inventory
from .boto3_iam import RETRY_CONFIG, Backoff, Client, IamAccountReader, describe_client_error
from .errors import InventoryError
from .organizations import OrganizationReader, OrganizationResult
from .port import AccountError, LoadResult, Progress

SESSION_NAME = "trustwatch-audit"
DEFAULT_REGION = "us-east-1"  # IAM and Organizations are global; STS needs some region to sign for


class AccountReader(Protocol):
    def read(self, account_id_hint: str | None = None) -> Account: ...


class _Clients:
    """Builds boto3 clients lazily, once per account and service, all with the same endpoint and retry policy."""

    def __init__(self, session: Any, *, region: str, endpoint_url: str | None, config: Any = None) -> None:
        self._session = session
        self._config = config if config is not None else RETRY_CONFIG
        self._region = region
        self._endpoint_url = endpoint_url
        self._cache: dict[tuple[str, str | None], Client] = {}
        self._credentials: dict[str, dict[str, str]] = {}

    def own(self, service: str) -> Client:
        """A client with the caller's own credentials."""
        return self._client(service, None)

    def assumed(self, service: str, account_id: str) -> Client:
        """A client with the credentials of the audit role in ``account_id`` (see `remember`)."""
        return self._client(service, account_id)

    def remember(self, account_id: str, credentials: dict[str, str]) -> None:
        self._credentials[account_id] = credentials

    def _client(self, service: str, account_id: str | None) -> Client:
        key = (service, account_id)
        if key not in self._cache:
            keys: dict[str, str] = {}
            if account_id is not None:
                creds = self._credentials[account_id]
                keys = {
                    "aws_access_key_id": creds["AccessKeyId"],
                    "aws_secret_access_key": creds["SecretAccessKey"],
                    "aws_session_token": creds["SessionToken"],
                }
            self._cache[key] = self._session.client(
                service, region_name=self._region, endpoint_url=self._endpoint_url, config=self._config, **keys
            )
        return self._cache[key]


class LiveSource:
    """The inventory port over live accounts.

    Without ``accounts`` or ``organization`` it reads the caller's account. ``accounts`` names the accounts to
    read; ``organization`` reads the organization from the caller's account and, unless ``accounts`` is given,
    every ACTIVE member. Accounts other than the caller's are reached through ``assume_role_name`` (with
    ``external_id`` when the audit role requires one); the caller's own account is read with its own
    credentials, since a management account rarely carries the audit role that members do.

    ``session`` is a boto3 Session (built from ``profile`` or the default chain when None, at load time, never
    at import). ``config``: the botocore Config of every client (default `RETRY_CONFIG`; a Lambda passes one
    bounded by its remaining time, `aws_bounds`). ``backoff``: the patience with throttling of the IAM and
    Organizations reads (a Lambda's stops waiting when its time runs out). ``reader_factory`` turns an IAM client
    into an account reader (default `IamAccountReader` with ``backoff``): tests hand in failing ones.
    """

    def __init__(
        self,
        session: Any | None = None,
        *,
        profile: str | None = None,
        endpoint_url: str | None = None,
        accounts: Sequence[str] | None = None,
        organization: bool = False,
        assume_role_name: str | None = None,
        external_id: str | None = None,
        region: str | None = None,
        reader_factory: Callable[[Client], AccountReader] | None = None,
        config: Any = None,
        backoff: Backoff | None = None,
    ) -> None:
        if session is not None and profile is not None:
            raise ValueError("give a session or a profile, not both")
        self._session = session
        self._profile = profile
        self._endpoint_url = endpoint_url
        self._accounts = list(dict.fromkeys(accounts or ()))
        self._organization = organization
        self._assume_role_name = assume_role_name
        self._external_id = external_id
        self._region = region
        self._backoff = backoff or Backoff()
        self._reader_factory = reader_factory or (lambda client: IamAccountReader(client, backoff=self._backoff))
        self._config = config

    def load(self, progress: Progress | None = None) -> LoadResult:
        session = self._session or boto3.session.Session(profile_name=self._profile)
        clients = _Clients(
            session,
            region=self._region or session.region_name or DEFAULT_REGION,
            endpoint_url=self._endpoint_url,
            config=self._config,
        )
        caller, partition = _caller(clients)
        errors: list[AccountError] = []
        org = self._read_organization(clients, errors) if self._organization else None
        accounts: list[Account] = []
        for account_id in self._targets(caller, org):
            try:
                accounts.append(self._read_account(clients, account_id, caller, partition))
            except InventoryError as exc:
                errors.append(AccountError(account_id, exc.source, exc.message))
            if progress is not None:
                progress(account_id)
        organization = org.organization if org else None
        return LoadResult(Inventory(accounts, organization), errors)

    def _read_organization(self, clients: _Clients, errors: list[AccountError]) -> OrganizationResult:
        result = OrganizationReader(clients.own("organizations"), backoff=self._backoff).read()
        errors.extend(AccountError(None, "organizations", note) for note in result.notes)
        return result

    def _targets(self, caller: str, org: OrganizationResult | None) -> list[str]:
        if self._accounts:
            return self._accounts
        if org is not None and org.active_account_ids:
            return list(org.active_account_ids)
        return [caller]  # no organization to walk (its error is already recorded): at least the caller's own

    def _read_account(self, clients: _Clients, account_id: str, caller: str, partition: str) -> Account:
        if account_id == caller:
            return self._reader_factory(clients.own("iam")).read(account_id)
        if self._assume_role_name is None:
            message = f"not the caller's account ({caller}) and no audit role name to assume in it"
            raise InventoryError(account_id, message, source="sts:AssumeRole")
        role_arn = f"arn:{partition}:iam::{account_id}:role/{self._assume_role_name}"
        clients.remember(account_id, self._assume(clients, account_id, role_arn))
        return self._reader_factory(clients.assumed("iam", account_id)).read(account_id)

    def _assume(self, clients: _Clients, account_id: str, role_arn: str) -> dict[str, str]:
        kwargs = {"RoleArn": role_arn, "RoleSessionName": SESSION_NAME}
        if self._external_id is not None:
            kwargs["ExternalId"] = self._external_id
        try:
            credentials: dict[str, str] = clients.own("sts").assume_role(**kwargs)["Credentials"]
        except ClientError as exc:
            raise InventoryError(account_id, describe_client_error(exc), source=f"sts:AssumeRole {role_arn}") from exc
        except BotoCoreError as exc:
            raise InventoryError(account_id, str(exc), source=f"sts:AssumeRole {role_arn}") from exc
        return credentials


def _caller(clients: _Clients) -> tuple[str, str]:
    """The caller's account id and partition. Credentials that cannot do this much cannot read anything."""
    try:
        identity = clients.own("sts").get_caller_identity()
    except ClientError as exc:
        raise InventoryError(None, describe_client_error(exc), source="sts:GetCallerIdentity") from exc
    except BotoCoreError as exc:
        raise InventoryError(None, str(exc), source="sts:GetCallerIdentity") from exc
    account: str = identity["Account"]
    partition: str = identity["Arn"].split(":")[1]
    return account, partition
