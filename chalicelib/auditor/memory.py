"""What the auditor remembers between invocations besides findings: the last trust policy seen per role
(to tell what a change added), the time of the last trust change applied to it (CloudTrail delivers events out
of order: an older one must not undo a newer one), and recent denied assumptions per caller (to see a burst).

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

    def changed_at(self, role_arn: str) -> dt.datetime | None:
        """The event time of the last trust change applied to the role (its deletion included)."""
        ...

    def put(self, role_arn: str, policy: str, seen_at: dt.datetime, changed_at: dt.datetime | None = None) -> None:
        """Remember ``policy``; ``changed_at`` (a change event's time) moves the role's change time forward."""
        ...

    def put_many(self, policies: Mapping[str, str], seen_at: dt.datetime) -> None:
        """``put`` each role's policy, skipping those remembered as they are (a re-scan sees mostly those)."""
        ...

    def forget(self, role_arn: str, changed_at: dt.datetime | None = None) -> None:
        """The role is gone: no policy; its deletion time is kept (an older event must not bring it back)."""
        ...


class DeniedLog(Protocol):
    def record(self, caller: str, role_arn: str, at: dt.datetime, window: dt.timedelta) -> list[str]:
        """Log one denied attempt; return the roles of the caller's attempts within the window (this one too)."""
        ...


@dataclass
class InMemoryTrustHistory:
    policies: dict[str, str] = field(default_factory=dict)
    changes: dict[str, dt.datetime] = field(default_factory=dict)

    def get(self, role_arn: str) -> str | None:
        return self.policies.get(role_arn)

    def changed_at(self, role_arn: str) -> dt.datetime | None:
        return self.changes.get(role_arn)

    def put(self, role_arn: str, policy: str, seen_at: dt.datetime, changed_at: dt.datetime | None = None) -> None:
        self.policies[role_arn] = policy
        self._advance(role_arn, changed_at)

    def put_many(self, policies: Mapping[str, str], seen_at: dt.datetime) -> None:
        self.policies.update(policies)

    def forget(self, role_arn: str, changed_at: dt.datetime | None = None) -> None:
        self.policies.pop(role_arn, None)
        self._advance(role_arn, changed_at)

    def _advance(self, role_arn: str, changed_at: dt.datetime | None) -> None:
        if changed_at is not None and changed_at > self.changes.get(role_arn, changed_at - dt.timedelta(1)):
            self.changes[role_arn] = changed_at


@dataclass
class InMemoryDeniedLog:
    attempts: dict[str, list[tuple[dt.datetime, str]]] = field(default_factory=dict)

    def record(self, caller: str, role_arn: str, at: dt.datetime, window: dt.timedelta) -> list[str]:
        recent = [(t, r) for t, r in self.attempts.get(caller, []) if at - t <= window]
        recent.append((at, role_arn))
        self.attempts[caller] = recent
        return [r for _, r in recent]


class DynamoTrustHistory:
    """Items ``pk = TRUST#<role arn>, sk = TRUST`` holding the policy text, when it was first seen as such and
    the time of the last change event applied (``changed_at``; a deleted role keeps only that). ``put_many``
    rewrites only the policies that changed: a daily scan costs a batch read per 100 roles."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def get(self, role_arn: str) -> str | None:
        item = self._item(role_arn)
        return str(item["policy"]) if item and "policy" in item else None

    def changed_at(self, role_arn: str) -> dt.datetime | None:
        item = self._item(role_arn)
        return dt.datetime.fromisoformat(str(item["changed_at"])) if item and "changed_at" in item else None

    def _item(self, role_arn: str) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self._table.get_item(Key=_key(TRUST_PREFIX + role_arn, "TRUST")).get("Item")
        return item

    def put(self, role_arn: str, policy: str, seen_at: dt.datetime, changed_at: dt.datetime | None = None) -> None:
        self._update(
            role_arn,
            "SET policy = :policy, seen_at = :seen",
            {":policy": policy, ":seen": seen_at.isoformat()},
            changed_at,
        )

    def forget(self, role_arn: str, changed_at: dt.datetime | None = None) -> None:
        if changed_at is None:
            self._table.delete_item(Key=_key(TRUST_PREFIX + role_arn, "TRUST"))
        else:
            self._update(role_arn, "REMOVE policy", {}, changed_at)

    def _update(self, role_arn: str, expression: str, values: dict[str, str], changed_at: dt.datetime | None) -> None:
        """One write; the change time only moves forward (a conditional second write when it does not)."""
        key = _key(TRUST_PREFIX + role_arn, "TRUST")
        if changed_at is None:
            self._table.update_item(Key=key, UpdateExpression=expression, **_values(values))
            return
        values = {**values, ":changed": changed_at.isoformat()}
        joined = (
            f"{expression}, changed_at = :changed"
            if expression.startswith("SET")
            else f"SET changed_at = :changed {expression}"
        )
        try:
            self._table.update_item(
                Key=key,
                UpdateExpression=joined,
                ConditionExpression="attribute_not_exists(changed_at) OR changed_at < :changed",
                ExpressionAttributeValues=values,
            )
        except self._table.meta.client.exceptions.ConditionalCheckFailedException:
            if expression.startswith("SET"):  # a newer change is recorded: keep its time, take the policy
                self._table.update_item(Key=key, UpdateExpression=expression, **_values(values, drop=":changed"))

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
                    str(i["pk"]).removeprefix(TRUST_PREFIX): str(i["policy"])
                    for i in answer["Responses"].get(name, [])
                    if "policy" in i
                }
                keys = answer.get("UnprocessedKeys", {}).get(name, {}).get("Keys", [])
                if not keys:
                    break
        return found


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


def _values(values: dict[str, str], drop: str | None = None) -> dict[str, Any]:
    kept = {k: v for k, v in values.items() if k != drop}
    return {"ExpressionAttributeValues": kept} if kept else {}
