"""What the finding state remembers (`FindingRecord`), what it reports (`Change`) and what it owes (`Delivery`).

Records are immutable; every transition returns a new record with ``version`` one higher, which is what the
stores' conditional writes compare (two Lambdas that read the same record cannot both write their successor).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..rules.findings import Finding, Severity

Status = Literal["open", "resolved"]
ChangeKind = Literal["new", "severity-changed", "resolved"]


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

    def with_context(self, context: dict[str, str]) -> Change:
        return self.model_copy(update={"context": {**self.context, **context}})


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
