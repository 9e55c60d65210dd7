"""What the finding state remembers (`FindingRecord`), what it reports (`Change`) and what it owes (`Delivery`).

Records are immutable; every transition returns a new record with ``version`` one higher, which is what the
stores' conditional writes compare (two Lambdas that read the same record cannot both write their successor).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.rules.findings import Finding, Severity

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
    """An outbox entry: a change that one channel has not taken yet, and when to try again."""

    model_config = ConfigDict(frozen=True)
    id: str
    channel: str
    change: Change
    created_at: datetime
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime

    @classmethod
    def for_change(
        cls, channel: str, change: Change, now: datetime, *, error: str | None = None, retry_at: datetime | None = None
    ) -> Delivery:
        """The entry for ``change`` on ``channel``; the id is stable, so enqueueing it twice stores it once."""
        return cls(
            id=f"{channel}#{change.finding.id}#{change.kind}#{change.record.version}",
            channel=channel,
            change=change,
            created_at=now,
            attempts=1 if error is not None else 0,
            last_error=error,
            next_attempt_at=retry_at or now,
        )


def is_wanted(record: FindingRecord, scopes: Collection[str] | None, accounts: Collection[str] | None) -> bool:
    """The ``open_in`` filter: open, and in one of ``scopes`` or ``accounts`` (both ``None``: anywhere)."""
    if scopes is None and accounts is None:
        return record.is_open
    in_scope = scopes is not None and record.scope in scopes
    in_account = accounts is not None and record.account_id in accounts
    return record.is_open and (in_scope or in_account)


def due(deliveries: Iterable[Delivery], channel: str | None, now: datetime | None) -> list[Delivery]:
    """The ``pending`` filter: on ``channel``, due by ``now`` (``None``: any), oldest first."""
    chosen = [
        d for d in deliveries if (channel is None or d.channel == channel) and (now is None or d.next_attempt_at <= now)
    ]
    return sorted(chosen, key=lambda d: (d.created_at, d.id))
