"""What the finding state remembers (`FindingRecord`), what it reports (`Change`) and what it owes (`Delivery`).

Records are immutable; every transition returns a new record with ``version`` one higher, which is what the
stores' conditional writes compare (two Lambdas that read the same record cannot both write their successor).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..rules.findings import Finding, Severity

Status = Literal["open", "resolved"]
ChangeKind = Literal["new", "severity-changed", "resolved"]


# DynamoDB refuses items over 400 KB (and a transaction with one): what a record or an outbox entry holds is
# bounded well below that, whatever a policy holds (an event with 14,000 ExternalIds).
TEXT_MAX = 8_000  # characters of a finding's explanation or remediation kept in state
EVIDENCE_MAX = 16_000  # characters of a finding's evidence, as JSON
OUTBOX_ITEM_MAX = 300_000  # characters of a message's changes, as JSON
COMPACT_TEXT_MAX = 500


def bounded(finding: Finding, text_max: int = TEXT_MAX, evidence_max: int = EVIDENCE_MAX) -> Finding:
    """``finding`` with its long texts cut (saying by how much) and oversized evidence replaced by its size."""
    update: dict[str, Any] = {}
    for key in ("title", "explanation", "remediation", "principal"):
        value = getattr(finding, key)
        limit = min(text_max, 2_000) if key in ("title", "principal") else text_max
        if isinstance(value, str) and len(value) > limit:
            update[key] = value[:limit] + f" … [{len(value) - limit} more characters cut]"
    size = len(json.dumps(finding.evidence, default=str))
    if size > evidence_max:
        update["evidence"] = {"cut": f"{size} characters of evidence, over the {evidence_max} kept"}
    return finding.model_copy(update=update) if update else finding


class StaleRecordError(Exception):
    """Someone else wrote the record since it was read: re-read and decide again."""


def scope_of(finding: Finding) -> str:
    """What a finding is about: its role ARN, or ``account:<id>`` for findings without a role."""
    return finding.role_arn or f"account:{finding.account_id}"


class FindingRecord(BaseModel):
    """One finding's history: open or resolved, first and last seen, and the latest version of the finding."""

    model_config = ConfigDict(frozen=True)
    id: str
    rule_id: str
    severity: Severity
    status: Status
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None = None
    scope: str
    account_id: str
    finding: Finding
    version: int = Field(default=1, ge=1)

    @classmethod
    def opened(cls, finding: Finding, now: datetime, *, previous: FindingRecord | None = None) -> FindingRecord:
        """A record for a finding seen for the first time, or again after it was resolved."""
        return cls(
            id=finding.id,
            rule_id=finding.rule_id,
            severity=finding.severity,
            status="open",
            first_seen=now,
            last_seen=now,
            scope=scope_of(finding),
            account_id=finding.account_id,
            finding=finding,
            version=previous.version + 1 if previous else 1,
        )

    def seen(self, finding: Finding, now: datetime) -> FindingRecord:
        """Still open: keep the latest finding (its severity and wording) and when it was last seen."""
        update = {"finding": finding, "severity": finding.severity, "last_seen": now, "version": self.version + 1}
        return self.model_copy(update=update)

    def resolved(self, now: datetime) -> FindingRecord:
        return self.model_copy(update={"status": "resolved", "resolved_at": now, "version": self.version + 1})

    @property
    def is_open(self) -> bool:
        return self.status == "open"


class Change(BaseModel):
    """What is worth telling someone: a finding that is new, changed severity, or went away.

    ``context`` is free text from the caller about what caused it, under the keys the renderers know
    (``actor``, ``event_name``, ``event_time``, ``deployment``) and any others (kept in the SNS message).
    """

    model_config = ConfigDict(frozen=True)
    kind: ChangeKind
    finding: Finding
    previous_severity: Severity | None = None
    record: FindingRecord
    context: dict[str, str] = Field(default_factory=dict)

    @property
    def announced_at(self) -> datetime:
        """When the change happened: when the finding was resolved, or last seen."""
        if self.kind == "resolved" and self.record.resolved_at is not None:
            return self.record.resolved_at
        return self.record.last_seen

    @property
    def key(self) -> tuple[str, int]:
        """What identifies the change: its finding and the record version it produced."""
        return self.finding.id, self.record.version

    def with_context(self, context: dict[str, str]) -> Change:
        return self.model_copy(update={"context": {**self.context, **context}})

    def compact(self) -> Change:
        """This change with its finding cut to a few hundred characters a text (for an outbox entry that would
        not fit otherwise); the record keeps only what the messages show."""
        finding = bounded(self.finding, COMPACT_TEXT_MAX, COMPACT_TEXT_MAX)
        record = self.record.model_copy(update={"finding": finding})
        return self.model_copy(update={"finding": finding, "record": record})


class Delivery(BaseModel):
    """An outbox entry: one message (the changes one event or one role's re-scan brought) that one channel has
    not taken yet, and when to try again. ``parked``: the channel refused it for good (a permanent error); it
    stays in the outbox for an operator but is never retried."""

    model_config = ConfigDict(frozen=True)
    id: str
    channel: str
    changes: tuple[Change, ...]
    created_at: datetime
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime
    parked: bool = False

    @classmethod
    def for_changes(
        cls, channel: str, changes: Sequence[Change], now: datetime, *, claimed_until: datetime
    ) -> Delivery:
        """The entry for ``changes`` on ``channel``, claimed by its creator until ``claimed_until`` (it sends it
        itself; if it dies first, any retrier takes it after that). The id is stable: enqueueing it twice stores
        it once."""
        keys = sorted(f"{c.finding.id}#{c.kind}#{c.record.version}" for c in changes)
        if sum(len(c.model_dump_json()) for c in changes) > OUTBOX_ITEM_MAX:
            changes = [c.compact() for c in changes]
        digest = hashlib.sha256("\x1f".join(keys).encode()).hexdigest()[:24]
        return cls(
            id=f"{channel}#{digest}",
            channel=channel,
            changes=tuple(changes),
            created_at=now,
            next_attempt_at=claimed_until,
        )

    @property
    def finding_ids(self) -> frozenset[str]:
        return frozenset(c.finding.id for c in self.changes)


def is_wanted(record: FindingRecord, scopes: Collection[str] | None, accounts: Collection[str] | None) -> bool:
    """The ``open_in`` filter: open, and in one of ``scopes`` or ``accounts`` (both ``None``: anywhere)."""
    if scopes is None and accounts is None:
        return record.is_open
    in_scope = scopes is not None and record.scope in scopes
    in_account = accounts is not None and record.account_id in accounts
    return record.is_open and (in_scope or in_account)


def due(deliveries: Iterable[Delivery], channel: str | None, now: datetime | None) -> list[Delivery]:
    """The ``pending`` filter: not parked, on ``channel``, due by ``now`` (``None``: any), oldest first."""
    chosen = [
        d
        for d in deliveries
        if not d.parked and (channel is None or d.channel == channel) and (now is None or d.next_attempt_at <= now)
    ]
    return sorted(chosen, key=lambda d: (d.created_at, d.id))
