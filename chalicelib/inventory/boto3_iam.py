"""One live account's IAM through boto3: GetAccountAuthorizationDetails, paged, with patience for throttling.

The pages are merged into the exact shape that ``aws iam get-account-authorization-details`` prints and handed to
the snapshot parser, so live accounts and snapshot files go through one parser and cannot drift apart.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from ..iam.entities import Account
from .errors import InventoryError
from .snapshot import GAAD_LISTS, SnapshotError, parse_authorization_details

# boto3 ships no type stubs and generates its client classes at run time: a client is `Any` to mypy.
Client = Any

# botocore's own retries come first (standard mode retries throttling and transient errors with backoff); the
# explicit `Backoff` around each call adds patience on top for long scans that share an account's API quota.
RETRY_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})

THROTTLING_CODES = frozenset({"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"})
GAAD_FILTER = ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")
GAAD_PAGE_SIZE = 1000  # the API's maximum: a large account takes a handful of calls instead of one per 100 items
GAAD_SOURCE = "iam:GetAccountAuthorizationDetails"

_T = TypeVar("_T")


def error_code(exc: ClientError) -> str:
    code: str = exc.response.get("Error", {}).get("Code", "Unknown")
    return code


def describe_client_error(exc: ClientError) -> str:
    message: str = exc.response.get("Error", {}).get("Message", "")
    return f"{error_code(exc)}: {message}" if message else error_code(exc)


def is_throttling(exc: ClientError) -> bool:
    return error_code(exc) in THROTTLING_CODES


@dataclass(frozen=True, slots=True)
class Backoff:
    """Retries a call that was throttled, waiting longer each time (exponential, with jitter).

    ``left`` says how many seconds the caller has left (a Lambda's remaining time): a wait that would leave less
    than ``reserve`` for the next attempt is not started, the throttling error goes to the caller instead, so the
    invocation records the account as unreadable rather than being killed mid-sleep. ``sleep`` and ``random`` are
    injectable so tests neither wait nor depend on chance.
    """

    attempts: int = 4
    base: float = 1.0
    cap: float = 20.0
    sleep: Callable[[float], None] = time.sleep
    random: Callable[[], float] = random.random
    left: Callable[[], float] = lambda: float("inf")  # unbounded: the CLI waits as long as it takes
    reserve: float = 2.0

    def delay(self, retry: int) -> float:
        """Equal jitter: half the exponential step is fixed, so waits grow; half is random, so parallel scans of
        the same account do not retry in lockstep."""
        step: float = min(self.cap, self.base * 2.0**retry)
        return step / 2 + self.random() * step / 2

    def call(self, operation: Callable[[], _T]) -> _T:
        for retry in range(self.attempts - 1):
            try:
                return operation()
            except ClientError as exc:
                if not is_throttling(exc):
                    raise
                wait = self.delay(retry)
                if wait + self.reserve > self.left():
                    raise  # no time for the wait and one more attempt
                self.sleep(wait)
        return operation()  # the last attempt: its error, throttling or not, goes to the caller


class IamAccountReader:
    """Reads one account's users, groups, roles and managed policies through the IAM client it is given.

    The client should be built with `RETRY_CONFIG`. Every botocore error becomes an `InventoryError` here.
    """

    def __init__(self, client: Client, *, backoff: Backoff | None = None) -> None:
        self._client = client
        self._backoff = backoff or Backoff()

    def read(self, account_id_hint: str | None = None) -> Account:
        """The account; ``account_id_hint`` names it in errors and is checked against what IAM returns."""
        data = self._authorization_details(account_id_hint)
        if account_id_hint is not None and not _has_account_arns(data):
            # An account without users, roles, groups or own policies carries no ARN to take its id from.
            return Account(account_id=account_id_hint)
        try:
            account = parse_authorization_details(data, source=f"{GAAD_SOURCE} of {account_id_hint or 'the caller'}")
        except SnapshotError as exc:
            raise InventoryError(account_id_hint, f"unexpected response: {exc}", source=GAAD_SOURCE) from exc
        if account_id_hint is not None and account.account_id != account_id_hint:
            message = f"the credentials read account {account.account_id}, not {account_id_hint}"
            raise InventoryError(account_id_hint, message, source=GAAD_SOURCE)
        return account

    def _authorization_details(self, account_id: str | None) -> dict[str, Any]:
        """All pages merged into one GAAD document.

        The Marker loop is what botocore's paginator does, driven here so that a throttled page is retried by
        itself; a paginator that raises mid-way cannot resume without re-encoding its token.
        """
        merged: dict[str, list[Any]] = {key: [] for key in GAAD_LISTS}
        marker: str | None = None
        while True:
            page = self._page(account_id, marker)
            for key in GAAD_LISTS:
                merged[key].extend(page.get(key) or [])
            next_marker: str | None = page.get("Marker") if page.get("IsTruncated") else None
            if next_marker is None:
                return dict(merged)
            if next_marker == marker:
                raise InventoryError(account_id, f"the same Marker came back twice: {marker}", source=GAAD_SOURCE)
            marker = next_marker

    def _page(self, account_id: str | None, marker: str | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"Filter": list(GAAD_FILTER), "MaxItems": GAAD_PAGE_SIZE}
        if marker is not None:
            kwargs["Marker"] = marker
        try:
            page: dict[str, Any] = self._backoff.call(lambda: self._client.get_account_authorization_details(**kwargs))
        except ClientError as exc:
            message = describe_client_error(exc)
            if is_throttling(exc):
                message += f" (still throttled after up to {self._backoff.attempts} attempts)"
            raise InventoryError(account_id, message, source=GAAD_SOURCE) from exc
        except BotoCoreError as exc:  # no credentials, endpoint unreachable, ...: this account is unreadable
            raise InventoryError(account_id, str(exc), source=GAAD_SOURCE) from exc
        return page


def _has_account_arns(data: dict[str, Any]) -> bool:
    entities = any(data[key] for key in ("UserDetailList", "GroupDetailList", "RoleDetailList"))
    return entities or any("::aws:policy/" not in str(p.get("Arn", "")) for p in data["Policies"])
