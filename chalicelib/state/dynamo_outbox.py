"""The outbox partition's items (``pk = OUTBOX``) for `DynamoFindingStore`: deliveries, and what is owed.

A *delivery* (``sk = <channel>#<digest>``) is one message a channel has not taken yet. An *owed* item
(``sk = owed#<finding id>#<record version>``) is an announced change whose messages are not in the outbox yet:
it is written in the same transaction as the finding record it announces, and deleted in the same transaction
as the deliveries that carry it. So at every moment a change worth announcing is owed, queued, or delivered;
an invocation killed in between leaves it owed, and a later `deliver` adopts it (``notify.base``).

Deliveries are written with ``UpdateItem`` (which creates the item), not ``PutItem``: ``flush_outbox``, which
adopts owed changes, holds only the outbox's ``Query``, ``UpdateItem`` and ``DeleteItem``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from .model import Change, Delivery

OUTBOX_PK = "OUTBOX"
OWED_PREFIX = "owed#"
TRANSACTION_ITEMS = 100  # TransactWriteItems' limit


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def owed_key(change: Change) -> dict[str, str]:
    return {"pk": OUTBOX_PK, "sk": f"{OWED_PREFIX}{change.finding.id}#{change.record.version}"}


def owed_put(table: str, change: Change) -> dict[str, Any]:
    item = {**owed_key(change), "owed_at": iso(change.announced_at), "change": change.model_dump_json()}
    return {"Put": {"TableName": table, "Item": item}}


def is_owed(item: dict[str, Any]) -> bool:
    return str(item["sk"]).startswith(OWED_PREFIX)


def owed_change(item: dict[str, Any]) -> tuple[datetime, Change]:
    return datetime.fromisoformat(item["owed_at"]), Change.model_validate_json(item["change"])


def delivery_update(table: str, delivery: Delivery) -> dict[str, Any]:
    """The ``Update`` that creates ``delivery`` unless its id is queued already."""
    values: dict[str, Any] = {
        ":channel": delivery.channel,
        ":created": iso(delivery.created_at),
        ":attempts": delivery.attempts,
        ":next": iso(delivery.next_attempt_at),
        ":changes": json.dumps([c.model_dump(mode="json") for c in delivery.changes]),
    }
    assignments = "channel = :channel, created_at = :created, attempts = :attempts, next_attempt_at = :next"
    assignments += ", changes = :changes"
    if delivery.last_error is not None:
        values[":error"] = delivery.last_error
        assignments += ", last_error = :error"
    return {
        "Update": {
            "TableName": table,
            "Key": {"pk": OUTBOX_PK, "sk": delivery.id},
            "UpdateExpression": f"SET {assignments}",
            "ConditionExpression": "attribute_not_exists(pk)",
            "ExpressionAttributeValues": values,
        }
    }


def owed_delete(table: str, change: Change) -> dict[str, Any]:
    return {"Delete": {"TableName": table, "Key": owed_key(change)}}


def delivery(item: dict[str, Any]) -> Delivery:
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
