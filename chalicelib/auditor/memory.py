"""What the auditor remembers between invocations besides findings: the last trust policy seen per role
(to tell what a change added) and recent denied assumptions per caller (to see a burst).

Two adapters each: in memory (tests, CLI, demo) and DynamoDB (the Lambdas), on the auditor's single table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

TRUST_PREFIX = "TRUST#"
DENIED_PREFIX = "DENIED#"
_BATCH = 100  # BatchGetItem's limit
_MAX_BATCH_ROUNDS = 10


class TrustHistory(Protocol):
    def get(self, role_arn: str) -> str | None: ...
    def put(self, role_arn: str, policy: str, seen_at: dt.datetime) -> None: ...

    def put_many(self, policies: Mapping[str, str], seen_at: dt.datetime) -> None:
        """``put`` each role's policy, skipping those remembered as they are (a re-scan sees mostly those)."""
        ...

    def forget(self, role_arn: str) -> None: ...


class DeniedLog(Protocol):
    def record(self, caller: str, role_arn: str, at: dt.datetime, window: dt.timedelta) -> list[str]:
        """Log one denied attempt; return the roles of the caller's attempts within the window (this one too)."""
        ...


@dataclass
class InMemoryTrustHistory:
    policies: dict[str, str] = field(default_factory=dict)

    def get(self, role_arn: str) -> str | None:
        return self.policies.get(role_arn)

    def put(self, role_arn: str, policy: str, seen_at: dt.datetime) -> None:
        self.policies[role_arn] = policy

    def put_many(self, policies: Mapping[str, str], seen_at: dt.datetime) -> None:
        self.policies.update(policies)

    def forget(self, role_arn: str) -> None:
        self.policies.pop(role_arn, None)


@dataclass
class InMemoryDeniedLog:
    attempts: dict[str, list[tuple[dt.datetime, str]]] = field(default_factory=dict)

    def record(self, caller: str, role_arn: str, at: dt.datetime, window: dt.timedelta) -> list[str]:
        recent = [(t, r) for t, r in self.attempts.get(caller, []) if at - t <= window]
        recent.append((at, role_arn))
        self.attempts[caller] = recent
        return [r for _, r in recent]


class DynamoTrustHistory:
    """Items ``pk = TRUST#<role arn>, sk = TRUST`` holding the policy text and when it was first seen as such
    (``put_many`` rewrites only the policies that changed: a daily scan costs a batch read per 100 roles)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def get(self, role_arn: str) -> str | None:
        item = self._table.get_item(Key=_key(TRUST_PREFIX + role_arn, "TRUST")).get("Item")
        return str(item["policy"]) if item else None

    def put(self, role_arn: str, policy: str, seen_at: dt.datetime) -> None:
        item = {**_key(TRUST_PREFIX + role_arn, "TRUST"), "policy": policy, "seen_at": seen_at.isoformat()}
        self._table.put_item(Item=item)

    def put_many(self, policies: Mapping[str, str], seen_at: dt.datetime) -> None:
        stored = self._get_many(list(policies))
        for role_arn, policy in policies.items():
            if stored.get(role_arn) != policy:
                self.put(role_arn, policy, seen_at)

    def _get_many(self, role_arns: list[str]) -> dict[str, str]:
        """The stored policies of ``role_arns``, read in batches; a key DynamoDB keeps leaving unread is missing."""
        client, name = self._table.meta.client, self._table.name
        found: dict[str, str] = {}
        for start in range(0, len(role_arns), _BATCH):
            keys = [_key(TRUST_PREFIX + arn, "TRUST") for arn in role_arns[start : start + _BATCH]]
            for _ in range(_MAX_BATCH_ROUNDS):  # UnprocessedKeys: DynamoDB asks to come back for the rest
                answer = client.batch_get_item(RequestItems={name: {"Keys": keys}})
                found |= {
                    str(i["pk"]).removeprefix(TRUST_PREFIX): str(i["policy"]) for i in answer["Responses"].get(name, [])
                }
                keys = answer.get("UnprocessedKeys", {}).get(name, {}).get("Keys", [])
                if not keys:
                    break
        return found

    def forget(self, role_arn: str) -> None:
        self._table.delete_item(Key=_key(TRUST_PREFIX + role_arn, "TRUST"))


class DynamoDeniedLog:
    """One item per denied attempt (``pk = DENIED#<caller>``, ``sk = <time>#<role>``) expiring with the table's
    TTL after the window; counting is a query over the caller's partition."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def record(self, caller: str, role_arn: str, at: dt.datetime, window: dt.timedelta) -> list[str]:
        expires = int((at + window).timestamp()) + 60
        item = {**_key(DENIED_PREFIX + caller, f"{at.isoformat()}#{role_arn}"), "expiration": expires}
        self._table.put_item(Item=item)
        since = (at - window).isoformat()
        response = self._table.query(
            KeyConditionExpression="pk = :pk AND sk >= :since",
            ExpressionAttributeValues={":pk": DENIED_PREFIX + caller, ":since": since},
        )
        return [
            str(i["sk"]).split("#", 1)[1] for i in response.get("Items", []) if str(i["sk"]) <= f"{at.isoformat()}#~"
        ]


def _key(pk: str, sk: str) -> dict[str, str]:
    return {"pk": pk, "sk": sk}
