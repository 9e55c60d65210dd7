"""One notifier interface, and `deliver`: the only place that decides what goes where and what waits.

A change goes to every channel whose ``min_severity`` it reaches (a severity change counts at the higher of its
two severities, so a channel hears that something it was told about went down). A failed send is logged with
the finding and queued in the store's outbox; the next ``deliver`` retries it first, with exponential backoff.
Nothing is dropped: a queued delivery stays until a channel takes it. Changes to a finding that still has a
delivery queued on a channel wait behind it, so a channel never hears "resolved" before "new". Once a channel
fails in a run, the rest of its messages go straight to the outbox: a channel that is down costs one timeout
per run, not one per message.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.rules.findings import Severity
from chalicelib.state.model import Change, Delivery
from chalicelib.state.store import FindingStore

logger = logging.getLogger(__name__)

RETRY_FIRST = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)
CLAIM_LEASE = timedelta(minutes=5)  # longer than a Lambda's timeout: a claim outlives the retrier holding it


class DeliveryError(Exception):
    """A channel did not take a message. The text is safe to log and to store (no secret, no webhook URL)."""


class Notifier(Protocol):
    channel: str
    min_severity: Severity

    def send(self, change: Change) -> None:
        """Deliver one change, or raise `DeliveryError`."""
        ...


@dataclass(frozen=True, slots=True)
class Sent:
    finding_id: str
    kind: str
    retry: bool = False  # taken from the outbox rather than from this call's changes


@dataclass(slots=True)
class ChannelReport:
    delivered: list[Sent] = field(default_factory=list)
    queued: list[Sent] = field(default_factory=list)
    below_threshold: int = 0
    failing: bool = False  # failed once in this run: the rest waits in the outbox (a Lambda has a timeout)


@dataclass(slots=True)
class DeliveryReport:
    channels: dict[str, ChannelReport] = field(default_factory=dict)

    @property
    def queued(self) -> int:
        return sum(len(c.queued) for c in self.channels.values())

    def channels_for(self, finding_id: str) -> list[str]:
        """The channels that took a message about ``finding_id``."""
        return [name for name, c in self.channels.items() if any(s.finding_id == finding_id for s in c.delivered)]

    def as_dict(self) -> dict[str, Any]:
        def entries(sent: list[Sent]) -> list[dict[str, Any]]:
            return [{"finding_id": s.finding_id, "change": s.kind, "retry": s.retry} for s in sent]

        return {
            name: {"delivered": entries(c.delivered), "queued": entries(c.queued), "below_threshold": c.below_threshold}
            for name, c in self.channels.items()
        }


def wants(notifier: Notifier, change: Change) -> bool:
    severity = change.finding.severity
    if change.previous_severity is not None and change.previous_severity.rank > severity.rank:
        severity = change.previous_severity
    return severity.at_least(notifier.min_severity)


def backoff(attempts: int) -> timedelta:
    """The wait after ``attempts`` failed sends: 1 min, 2, 4, … capped at an hour."""
    return min(RETRY_FIRST * (1 << min(max(attempts - 1, 0), 16)), RETRY_CAP)


def deliver(
    changes: Sequence[Change], notifiers: Sequence[Notifier], store: FindingStore, now: datetime
) -> DeliveryReport:
    """Retry what each channel owes from earlier runs, then send ``changes``; report per channel."""
    report = DeliveryReport({n.channel: ChannelReport() for n in notifiers})
    for notifier in notifiers:
        outcome = report.channels[notifier.channel]
        held = _retry_queued(notifier, store, now, outcome)
        for change in changes:
            _offer(notifier, change, store, now, held=held, outcome=outcome)
    return report


def _retry_queued(notifier: Notifier, store: FindingStore, now: datetime, outcome: ChannelReport) -> set[str]:
    """Send the channel's due outbox entries, oldest first; return the findings that still have one queued."""
    held: set[str] = set()
    for delivery in store.pending(notifier.channel):
        finding_id = delivery.change.finding.id
        waiting = outcome.failing or finding_id in held or delivery.next_attempt_at > now
        if waiting or not store.claim(delivery, now + CLAIM_LEASE):
            held.add(finding_id)
            continue
        error = _attempt(notifier, delivery.change, retry=True)
        sent = Sent(finding_id, delivery.change.kind, retry=True)
        if error is None:
            store.delivered(delivery.id)
            outcome.delivered.append(sent)
        else:
            store.failed(delivery.id, error, now + backoff(delivery.attempts + 1))
            held.add(finding_id)
            outcome.failing = True
            outcome.queued.append(sent)
    return held


def _offer(
    notifier: Notifier, change: Change, store: FindingStore, now: datetime, *, held: set[str], outcome: ChannelReport
) -> None:
    if not wants(notifier, change):
        outcome.below_threshold += 1
        return
    sent = Sent(change.finding.id, change.kind)
    if outcome.failing or change.finding.id in held:  # keep the order behind a queued message about it
        store.enqueue(Delivery.for_change(notifier.channel, change, now))
        outcome.queued.append(sent)
        return
    error = _attempt(notifier, change, retry=False)
    if error is None:
        outcome.delivered.append(sent)
        return
    store.enqueue(Delivery.for_change(notifier.channel, change, now, error=error, retry_at=now + backoff(1)))
    held.add(change.finding.id)
    outcome.failing = True
    outcome.queued.append(sent)


def _attempt(notifier: Notifier, change: Change, *, retry: bool) -> str | None:
    """Send once; on failure log it with the finding and return the error text (``None`` when it went out)."""
    finding = change.finding
    fields = {
        "channel": notifier.channel,
        "finding_id": finding.id,
        "rule_id": finding.rule_id,
        "role_arn": finding.role_arn,
        "change": change.kind,
        "retry": retry,
    }
    what = (change.kind, finding.id, notifier.channel)
    try:
        notifier.send(change)
    except DeliveryError as exc:
        logger.warning("%s of %s not delivered to %s, queued for retry: %s", *what, exc, extra=fields)
        return str(exc)
    except Exception as exc:  # a bug or an unexpected client error: the message is still owed, so queue it too
        logger.exception("%s of %s not delivered to %s (unexpected error), queued for retry", *what, extra=fields)
        return f"{type(exc).__name__}: {exc}"
    return None
