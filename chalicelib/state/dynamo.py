"""`DynamoFindingStore`: the finding store in one DynamoDB table, without a GSI.

Table schema (``TABLE_SCHEMA``, for ``create_table`` and the deployment template)::

    KeySchema:            pk (S) HASH, sk (S) RANGE
    AttributeDefinitions: pk S, sk S        (no GSI, no LSI, no TTL: nothing here may expire unseen)
    BillingMode:          PAY_PER_REQUEST

Items:

==============================  ======================  ==================================================
pk                              sk                      attributes
==============================  ======================  ==================================================
``FINDING#<finding id>``        ``RECORD``              status, version (N), scope, account_id, rule_id,
                                                        severity, last_seen, record (the FindingRecord JSON)
``SCOPE#<role arn|account:id>`` ``FINDING#<id>``        (none) exists while the finding is open
``ACCOUNT#<account id>``        ``FINDING#<id>``        (none) exists while the finding is open
``OUTBOX``                      ``<delivery id>``       channel, created_at, attempts (N), last_error,
                                                        next_attempt_at, parked (BOOL), changes (the
                                                        message's Change list as JSON)
==============================  ======================  ==================================================

A record and its two index items are written in one transaction conditioned on the record's ``version``, so
the index never disagrees with the records and two Lambdas cannot both advance a record. ``open_in`` queries
the index partitions it is asked about and batch-reads the records; only ``open_in()`` with no filter scans.
The outbox is one partition. Every message is written there before it is sent and deleted once a channel took
it (so it holds what is in flight and what failed); a delivery id starts with its channel (``slack#<digest>``).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from typing import Any

from .model import Change, Delivery, FindingRecord, StaleRecordError, due, is_wanted

TABLE_SCHEMA: dict[str, Any] = {
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
    ],
    "BillingMode": "PAY_PER_REQUEST",
}
RECORD_SK = "RECORD"
OUTBOX_PK = "OUTBOX"
_RACE_CODES = frozenset({"ConditionalCheckFailed", "TransactionConflict"})
_BATCH = 100  # BatchGetItem's limit
_MAX_BATCH_ROUNDS = 10


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


class DynamoFindingStore:
    """Takes a boto3 DynamoDB ``Table`` resource (whose client speaks plain Python values, not ``{"S": …}``)."""

    def __init__(self, table: Any) -> None:
        self._table = table
        self._client = table.meta.client
        self._name: str = table.name

    # -- records ------------------------------------------------------------------------------------------
    def get(self, finding_id: str) -> FindingRecord | None:
        item = self._table.get_item(Key=_record_key(finding_id), ConsistentRead=True).get("Item")
        return FindingRecord.model_validate_json(item["record"]) if item else None

    def put(self, record: FindingRecord) -> None:
        try:
            self._client.transact_write_items(TransactItems=[self._record_put(record), *self._index_writes(record)])
        except self._client.exceptions.TransactionCanceledException as exc:
            reasons = exc.response.get("CancellationReasons") or [{}]
            if reasons[0].get("Code") in _RACE_CODES:
                raise StaleRecordError(f"finding {record.id}: written by someone else since it was read") from None
            raise

    def _record_put(self, record: FindingRecord) -> dict[str, Any]:
        item = {
            **_record_key(record.id),
            "status": record.status,
            "version": record.version,
            "scope": record.scope,
            "account_id": record.account_id,
            "rule_id": record.rule_id,
            "severity": record.severity.value,
            "last_seen": _iso(record.last_seen),
            "record": record.model_dump_json(),
        }
        put: dict[str, Any] = {"TableName": self._name, "Item": item}
        if record.version == 1:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :expected"
            put["ExpressionAttributeValues"] = {":expected": record.version - 1}
        return {"Put": put}

    def _index_writes(self, record: FindingRecord) -> list[dict[str, Any]]:
        keys = [
            {"pk": f"SCOPE#{record.scope}", "sk": f"FINDING#{record.id}"},
            {"pk": f"ACCOUNT#{record.account_id}", "sk": f"FINDING#{record.id}"},
        ]
        if record.is_open:
            return [{"Put": {"TableName": self._name, "Item": key}} for key in keys]
        return [{"Delete": {"TableName": self._name, "Key": key}} for key in keys]

    def open_in(
        self, scopes: Collection[str] | None = None, accounts: Collection[str] | None = None
    ) -> list[FindingRecord]:
        if scopes is None and accounts is None:
            return [r for r in self._scan_records() if r.is_open]
        partitions = [f"SCOPE#{s}" for s in scopes or ()] + [f"ACCOUNT#{a}" for a in accounts or ()]
        ids = dict.fromkeys(item["sk"].removeprefix("FINDING#") for pk in partitions for item in self._query(pk))
        return [r for r in self._batch_get(list(ids)) if is_wanted(r, scopes, accounts)]

    def _query(self, pk: str) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {"KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": pk}}
        while True:
            page = self._table.query(ConsistentRead=True, **kwargs)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _scan_records(self) -> Iterator[FindingRecord]:
        kwargs: dict[str, Any] = {"FilterExpression": "sk = :sk", "ExpressionAttributeValues": {":sk": RECORD_SK}}
        while True:
            page = self._table.scan(ConsistentRead=True, **kwargs)
            yield from (FindingRecord.model_validate_json(item["record"]) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _batch_get(self, finding_ids: list[str]) -> list[FindingRecord]:
        records: list[FindingRecord] = []
        for start in range(0, len(finding_ids), _BATCH):
            keys = [_record_key(i) for i in finding_ids[start : start + _BATCH]]
            for _ in range(_MAX_BATCH_ROUNDS):  # UnprocessedKeys: DynamoDB asks to come back for the rest
                answer = self._client.batch_get_item(RequestItems={self._name: {"Keys": keys, "ConsistentRead": True}})
                records += (
                    FindingRecord.model_validate_json(i["record"]) for i in answer["Responses"].get(self._name, [])
                )
                keys = answer.get("UnprocessedKeys", {}).get(self._name, {}).get("Keys", [])
                if not keys:
                    break
            else:
                raise RuntimeError(f"DynamoDB left {len(keys)} finding records unread after {_MAX_BATCH_ROUNDS} rounds")
        return sorted(records, key=lambda r: r.id)

    # -- outbox -------------------------------------------------------------------------------------------
    def enqueue(self, delivery: Delivery) -> bool:
        item = {
            "pk": OUTBOX_PK,
            "sk": delivery.id,
            "channel": delivery.channel,
            "created_at": _iso(delivery.created_at),
            "attempts": delivery.attempts,
            "next_attempt_at": _iso(delivery.next_attempt_at),
            "changes": json.dumps([c.model_dump(mode="json") for c in delivery.changes]),
        }
        if delivery.last_error is not None:
            item["last_error"] = delivery.last_error
        try:
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        except self._client.exceptions.ConditionalCheckFailedException:
            return False  # already queued: the queued entry keeps its attempts and schedule
        return True

    def pending(self, channel: str | None = None, now: datetime | None = None) -> list[Delivery]:
        return due((_delivery(item) for item in self._query(OUTBOX_PK)), channel, now)

    def claim(self, delivery: Delivery, until: datetime) -> bool:
        try:
            self._table.update_item(
                Key={"pk": OUTBOX_PK, "sk": delivery.id},
                UpdateExpression="SET next_attempt_at = :until",
                ConditionExpression="next_attempt_at = :seen",
                ExpressionAttributeValues={":until": _iso(until), ":seen": _iso(delivery.next_attempt_at)},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False  # another retrier claimed it (or it was delivered) since it was read
        return True

    def delivered(self, delivery_id: str) -> None:
        self._table.delete_item(Key={"pk": OUTBOX_PK, "sk": delivery_id})

    def failed(self, delivery_id: str, error: str, next_attempt_at: datetime, *, permanent: bool = False) -> None:
        try:
            self._table.update_item(
                Key={"pk": OUTBOX_PK, "sk": delivery_id},
                UpdateExpression="ADD attempts :one SET last_error = :error, next_attempt_at = :next, parked = :parked",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={
                    ":one": 1,
                    ":error": error,
                    ":next": _iso(next_attempt_at),
                    ":parked": permanent,
                },
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return  # delivered meanwhile by another retrier: nothing is owed any more


def _record_key(finding_id: str) -> dict[str, str]:
    return {"pk": f"FINDING#{finding_id}", "sk": RECORD_SK}


def _delivery(item: dict[str, Any]) -> Delivery:
    if "changes" in item:
        changes = tuple(Change.model_validate(c) for c in json.loads(item["changes"]))
    else:  # an entry queued before messages grouped their changes
        changes = (Change.model_validate_json(item["change"]),)
    return Delivery(
        id=item["sk"],
        channel=item["channel"],
        changes=changes,
        created_at=datetime.fromisoformat(item["created_at"]),
        attempts=int(item["attempts"]),
        last_error=item.get("last_error"),
        next_attempt_at=datetime.fromisoformat(item["next_attempt_at"]),
        parked=bool(item.get("parked", False)),
    )
