"""The finding store port: records by finding id, open records by scope or account, and the delivery outbox.

Two adapters: `InMemoryFindingStore` (tests, CLI, demo) and `DynamoFindingStore` (Lambda; see
`chalicelib.state.dynamo` for its table schema). Both make the same promises:

- ``put`` is conditional: a record of version *n* is written only over version *n - 1* (or nothing, for
  version 1). Otherwise `StaleRecordError`: another writer got there first.
- ``open_in(scopes, accounts)`` returns the open records whose scope is in ``scopes`` **or** whose account is
  in ``accounts``; with both ``None``, every open record.
- the outbox keeps a delivery until ``delivered`` (a permanently failed one stays, ``parked``, and is no longer
  ``pending``); ``enqueue`` of an id already queued keeps the queued one and says so;
  ``claim`` lets one retrier at a time take a due delivery (it moves ``next_attempt_at`` to ``until``,
  provided nobody moved it since the delivery was read).
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from .dynamo import DynamoFindingStore
from .model import Delivery, FindingRecord, StaleRecordError, due, is_wanted


class FindingStore(Protocol):
    def get(self, finding_id: str) -> FindingRecord | None: ...

    def put(self, record: FindingRecord) -> None: ...

    def open_in(
        self, scopes: Collection[str] | None = None, accounts: Collection[str] | None = None
    ) -> list[FindingRecord]: ...

    def enqueue(self, delivery: Delivery) -> bool:
        """Store ``delivery`` unless its id is queued already; True when it was stored now."""
        ...

    def pending(self, channel: str | None = None, now: datetime | None = None) -> list[Delivery]:
        """Queued deliveries, oldest first; with ``now``, only those due by then."""
        ...

    def claim(self, delivery: Delivery, until: datetime) -> bool: ...

    def delivered(self, delivery_id: str) -> None: ...

    def failed(self, delivery_id: str, error: str, next_attempt_at: datetime, *, permanent: bool = False) -> None:
        """Count a failed attempt; ``permanent`` parks the entry (kept, never retried)."""
        ...


class InMemoryFindingStore:
    """The store in a dict, with the same conditional-write semantics as DynamoDB (and a lock for threads)."""

    def __init__(self) -> None:
        self._records: dict[str, FindingRecord] = {}
        self._outbox: dict[str, Delivery] = {}
        self._lock = threading.Lock()

    def get(self, finding_id: str) -> FindingRecord | None:
        return self._records.get(finding_id)

    def put(self, record: FindingRecord) -> None:
        with self._lock:
            current = self._records.get(record.id)
            if (current.version if current else 0) != record.version - 1:
                raise StaleRecordError(f"finding {record.id}: version {record.version} is not the next one")
            self._records[record.id] = record

    def open_in(
        self, scopes: Collection[str] | None = None, accounts: Collection[str] | None = None
    ) -> list[FindingRecord]:
        return [r for r in self._records.values() if is_wanted(r, scopes, accounts)]

    def enqueue(self, delivery: Delivery) -> bool:
        with self._lock:
            return self._outbox.setdefault(delivery.id, delivery) is delivery

    def pending(self, channel: str | None = None, now: datetime | None = None) -> list[Delivery]:
        return due(self._outbox.values(), channel, now)

    def claim(self, delivery: Delivery, until: datetime) -> bool:
        with self._lock:
            current = self._outbox.get(delivery.id)
            if current is None or current.next_attempt_at != delivery.next_attempt_at:
                return False
            self._outbox[delivery.id] = current.model_copy(update={"next_attempt_at": until})
            return True

    def delivered(self, delivery_id: str) -> None:
        with self._lock:
            self._outbox.pop(delivery_id, None)

    def failed(self, delivery_id: str, error: str, next_attempt_at: datetime, *, permanent: bool = False) -> None:
        with self._lock:
            current = self._outbox.get(delivery_id)
            if current is None:  # delivered meanwhile by another retrier: nothing is owed any more
                return
            update = {
                "attempts": current.attempts + 1,
                "last_error": error,
                "next_attempt_at": next_attempt_at,
                "parked": permanent,
            }
            self._outbox[delivery_id] = current.model_copy(update=update)


__all__ = ["DynamoFindingStore", "FindingStore", "InMemoryFindingStore", "StaleRecordError"]
