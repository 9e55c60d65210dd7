"""The finding store port: records by finding id, open records by scope or account, and the delivery outbox.

Two adapters: `InMemoryFindingStore` (tests, CLI, demo) and `DynamoFindingStore` (Lambda; see
`chalicelib.state.dynamo` for its table schema). Both make the same promises:

- ``put`` is conditional: a record of version *n* is written only over version *n - 1* (or nothing, for
  version 1). Otherwise `StaleRecordError`: another writer got there first.
- ``open_in(scopes, accounts)`` returns the open records whose scope is in ``scopes`` **or** whose account is
  in ``accounts``; with both ``None``, every open record.
- ``put(record, owed=change)`` also records ``change`` as *owed* (announced, in no delivery yet), in the same
  atomic write; ``enqueue_for(deliveries, settled)`` queues deliveries and forgets what ``settled`` owed, in one
  atomic write too. An announced change is therefore always owed, queued or delivered: never only in a record.
  ``owed(before)`` lists what has been owed since ``before`` or earlier (its writer died before queueing it).
- the outbox keeps a delivery until ``delivered`` (a permanently failed one stays, ``parked``, and is no longer
  ``pending``); ``enqueue`` of an id already queued keeps the queued one and says so;
  ``claim`` lets one retrier at a time take a due delivery (it moves ``next_attempt_at`` to ``until``,
  provided nobody moved it since the delivery was read).
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from .dynamo import DynamoFindingStore
from .model import Change, Delivery, FindingRecord, StaleRecordError, due, is_wanted


class FindingStore(Protocol):
    def get(self, finding_id: str) -> FindingRecord | None: ...

    def put(self, record: FindingRecord, owed: Change | None = None) -> None: ...

    def open_in(
        self, scopes: Collection[str] | None = None, accounts: Collection[str] | None = None
    ) -> list[FindingRecord]: ...

    def enqueue(self, delivery: Delivery) -> bool:
        """Store ``delivery`` unless its id is queued already; True when it was stored now."""
        ...

    def enqueue_for(self, deliveries: Sequence[Delivery], settled: Sequence[Change]) -> set[str]:
        """Atomically: store each of ``deliveries`` not queued already, and forget what ``settled`` owed. At most
        100 items in all (a DynamoDB transaction). Returns the ids stored now."""
        ...

    def owed(self, before: datetime) -> list[Change]:
        """The changes owed since ``before`` or earlier, oldest first."""
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
        self._owed: dict[tuple[str, int], Change] = {}
        self._lock = threading.Lock()

    def get(self, finding_id: str) -> FindingRecord | None:
        return self._records.get(finding_id)

    def put(self, record: FindingRecord, owed: Change | None = None) -> None:
        with self._lock:
            current = self._records.get(record.id)
            if (current.version if current else 0) != record.version - 1:
                raise StaleRecordError(f"finding {record.id}: version {record.version} is not the next one")
            self._records[record.id] = record
            if owed is not None:
                self._owed[owed.key] = owed

    def open_in(
        self, scopes: Collection[str] | None = None, accounts: Collection[str] | None = None
    ) -> list[FindingRecord]:
        return [r for r in self._records.values() if is_wanted(r, scopes, accounts)]

    def enqueue(self, delivery: Delivery) -> bool:
        return delivery.id in self.enqueue_for([delivery], [])

    def enqueue_for(self, deliveries: Sequence[Delivery], settled: Sequence[Change]) -> set[str]:
        with self._lock:
            stored = {d.id for d in deliveries if self._outbox.setdefault(d.id, d) is d}
            for change in settled:
                self._owed.pop(change.key, None)
            return stored

    def owed(self, before: datetime) -> list[Change]:
        owed = [c for c in self._owed.values() if c.announced_at <= before]
        return sorted(owed, key=lambda c: (c.announced_at, c.key))

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
