"""Finding state: open/resolved records keyed by the finding fingerprint, the changes worth announcing, and the
outbox of deliveries a channel has not taken yet. DynamoDB in Lambda, in memory for tests and the CLI.

Nothing here creates an AWS client: `DynamoFindingStore` is handed its ``Table`` by the composition root.
"""

from __future__ import annotations

from .dynamo import TABLE_SCHEMA, DynamoFindingStore
from .model import Change, ChangeKind, Delivery, FindingRecord, StaleRecordError, scope_of
from .store import FindingStore, InMemoryFindingStore
from .tracker import reconcile

__all__ = [
    "TABLE_SCHEMA",
    "Change",
    "ChangeKind",
    "Delivery",
    "DynamoFindingStore",
    "FindingRecord",
    "FindingStore",
    "InMemoryFindingStore",
    "StaleRecordError",
    "reconcile",
    "scope_of",
]
