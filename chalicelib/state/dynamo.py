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
``OUTBOX``                      ``owed#<id>#<version>`` owed_at, change (the Change JSON): announced, not
                                                        yet in a delivery (`chalicelib.state.dynamo_outbox`)
==============================  ======================  ==================================================

A record and its two index items (and, when the write announces a change, its owed item) are written in one
transaction conditioned on the record's ``version``, so the index never disagrees with the records, two Lambdas
cannot both advance a record, and no announced change exists only in a record. ``open_in`` queries
the index partitions it is asked about and batch-reads the records; only ``open_in()`` with no filter scans.
The outbox is one partition. Every message is written there before it is sent and deleted once a channel took
it (so it holds what is in flight and what failed); a delivery id starts with its channel (``slack#<digest>``).
Deliveries are written in one transaction with the deletion of the owed items of the changes they carry.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Any

from . import dynamo_outbox as outbox
from .dynamo_outbox import OUTBOX_PK, iso
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
__all__ = ["OUTBOX_PK", "RECORD_SK", "TABLE_SCHEMA", "DynamoFindingStore"]
_RACE_CODES = frozenset({"ConditionalCheckFailed", "TransactionConflict"})
_BATCH = 100  # BatchGetItem's limit
_MAX_BATCH_ROUNDS = 10
_MAX_CONFLICTS = 5  # transactions retried when another one held the same items


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

    def put(self, record: FindingRecord, owed: Change | None = None) -> None:
        items = [self._record_put(record), *self._index_writes(record)]
        if owed is not None:
            items.append(outbox.owed_put(self._name, owed))
        try:
            self._client.transact_write_items(TransactItems=items)
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
            "last_seen": iso(record.last_seen),
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
        return delivery.id in self.enqueue_for([delivery], [])

    def enqueue_for(self, deliveries: Sequence[Delivery], settled: Sequence[Change]) -> set[str]:
        """Queue ``deliveries`` (those not queued already) and drop the owed items of ``settled``, atomically."""
        waiting = list(deliveries)
        deletes = [outbox.owed_delete(self._name, change) for change in settled]
        if len(waiting) + len(deletes) > outbox.TRANSACTION_ITEMS:
            raise ValueError(f"{len(waiting)} deliveries and {len(deletes)} owed changes exceed one transaction")
        for _ in range(_MAX_CONFLICTS):
            items = [outbox.delivery_update(self._name, d) for d in waiting] + deletes
            if not items:
                return set()
            try:
                self._client.transact_write_items(TransactItems=items)
                return {d.id for d in waiting}
            except self._client.exceptions.TransactionCanceledException as exc:
                codes = [reason.get("Code") for reason in exc.response.get("CancellationReasons") or []]
                if not set(codes) <= {*_RACE_CODES, "None", None}:
                    raise
                # a delivery already queued (the same changes, by another invocation) is not queued again
                waiting = [d for d, code in zip(waiting, codes, strict=False) if code != "ConditionalCheckFailed"]
        raise RuntimeError(f"outbox: {_MAX_CONFLICTS} transactions in a row conflicted with others")

    def owed(self, before: datetime) -> list[Change]:
        found = (outbox.owed_change(item) for item in self._query(OUTBOX_PK) if outbox.is_owed(item))
        return sorted((change for at, change in found if at <= before), key=lambda c: (c.announced_at, c.key))

    def pending(self, channel: str | None = None, now: datetime | None = None) -> list[Delivery]:
        items = (item for item in self._query(OUTBOX_PK) if not outbox.is_owed(item))
        return due((outbox.delivery(item) for item in items), channel, now)

    def claim(self, delivery: Delivery, until: datetime) -> bool:
        try:
            self._table.update_item(
                Key={"pk": OUTBOX_PK, "sk": delivery.id},
                UpdateExpression="SET next_attempt_at = :until",
                ConditionExpression="next_attempt_at = :seen",
                ExpressionAttributeValues={":until": iso(until), ":seen": iso(delivery.next_attempt_at)},
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
                    ":next": iso(next_attempt_at),
                    ":parked": permanent,
                },
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return  # delivered meanwhile by another retrier: nothing is owed any more


def _record_key(finding_id: str) -> dict[str, str]:
    return {"pk": f"FINDING#{finding_id}", "sk": RECORD_SK}
