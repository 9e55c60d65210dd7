"""One notifier interface, and `deliver`: the only place that decides what goes where and what waits.

A message is what one event (or one role's re-scan) changed: its changes go out together, one message per
channel, most severe first. A change goes to every channel whose ``min_severity`` it reaches (a severity
change counts at the higher of its two severities, so a channel hears that something it was told about went
down).

Delivery is at least once, outbox first: every message is written to the store's outbox *before* it is sent,
claimed by the invocation that wrote it, and deleted once the channel took it. The finding records that
announce a change were written with the change *owed* (`reconcile`); a message is queued in the same atomic
write that settles what its changes owed, so nothing announced is ever only in a record. A change still owed
`ADOPT_AFTER` after it happened belongs to an invocation that died between the two writes: the next
``deliver`` adopts it, as one message per role. A message holds at most what one such write can carry (100
items, less one per channel); an event with more changes is announced in several messages. An invocation that
dies or runs out of time mid-send leaves its message in the outbox; after the claim lapses the next ``deliver``
(``flush_outbox`` every ten minutes) sends it. Every send is bounded by the invocation's `Deadline`; what does
not fit waits in the outbox.
A message is sent again only when its last attempt got no answer (or failed), so each lost answer costs at most
one duplicate. A failed send backs off exponentially, or as long as the channel asked (``Retry-After``); a
permanent failure (an invalid webhook URL, a message the channel refuses) is parked, not retried. Messages
about a finding that still has one queued on a channel wait behind it, so a channel never hears "resolved"
before "new". Once a channel fails in a run, its other messages wait in the outbox: a channel that is down
costs one timeout per run, not one per message.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from ..rules.findings import Severity
from ..state.dynamo_outbox import TRANSACTION_ITEMS
from ..state.model import Change, Delivery, scope_of
from ..state.store import FindingStore
from .deadline import Deadline

logger = logging.getLogger(__name__)

RETRY_FIRST = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)
CLAIM_LEASE = timedelta(minutes=5)  # at least; a claim also outlives the claiming invocation's deadline
ADOPT_AFTER = timedelta(minutes=15) + CLAIM_LEASE  # past any Lambda's timeout: whoever owed it is gone
_SEVERITY_FIRST = {"new": 0, "severity-changed": 1, "resolved": 2}


class DeliveryError(Exception):
    """A channel did not take a message. The text is safe to log and to store (no secret, no webhook URL).

    ``retry_after``: the channel asked to wait that many seconds; ``permanent``: trying again cannot help.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class Notifier(Protocol):
    channel: str
    min_severity: Severity

    def send(self, changes: Sequence[Change], deadline: Deadline) -> None:
        """Deliver one message about ``changes`` (most severe first) before ``deadline``, or raise `DeliveryError`."""
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
    messages: int = 0  # messages the channel took
    parked: int = 0  # messages refused for good in this run


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
            name: {
                "delivered": entries(c.delivered),
                "queued": entries(c.queued),
                "below_threshold": c.below_threshold,
                "messages": c.messages,
                "parked": c.parked,
            }
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


def ordered(changes: Sequence[Change]) -> list[Change]:
    """Most severe first; at one severity, new before changed before resolved; then by rule and id."""
    return sorted(
        changes, key=lambda c: (-c.finding.severity.rank, _SEVERITY_FIRST[c.kind], c.finding.rule_id, c.finding.id)
    )


def deliver(
    messages: Sequence[Sequence[Change]],
    notifiers: Sequence[Notifier],
    store: FindingStore,
    now: datetime,
    deadline: Deadline | None = None,
) -> DeliveryReport:
    """Record every message each channel is owed, then send what is owed (oldest first) before ``deadline``."""
    deadline = deadline or Deadline.unbounded()
    lease = now + max(CLAIM_LEASE, timedelta(seconds=min(deadline.remaining(), 86400.0)) + CLAIM_LEASE)
    report = DeliveryReport({n.channel: ChannelReport() for n in notifiers})
    owned: set[str] = set()
    room = max(1, TRANSACTION_ITEMS - len(notifiers))  # one delivery per channel, one settled change each
    for message in [*messages, *_adopted(store, messages, now)]:  # outbox first: nothing is sent before
        for start in range(0, len(message), room):  # everything owed is recorded
            part = message[start : start + room]
            deliveries = []
            for notifier in notifiers:
                wanted = [c for c in part if wants(notifier, c)]
                report.channels[notifier.channel].below_threshold += len(part) - len(wanted)
                if wanted:
                    deliveries.append(Delivery.for_changes(notifier.channel, ordered(wanted), now, claimed_until=lease))
            owned |= store.enqueue_for(deliveries, part)
    for notifier in notifiers:
        _send_owed(notifier, store, now, deadline, owned=owned, lease=lease, outcome=report.channels[notifier.channel])
    return report


def _adopted(store: FindingStore, messages: Sequence[Sequence[Change]], now: datetime) -> list[list[Change]]:
    """What invocations that died before queueing it still owe, one message per role (not in ``messages``)."""
    mine = {change.key for message in messages for change in message}
    by_scope: dict[str, list[Change]] = {}
    for change in store.owed(before=now - ADOPT_AFTER):
        if change.key not in mine:
            by_scope.setdefault(scope_of(change.finding), []).append(change)
    if by_scope:
        logger.warning("adopting %d announcements an earlier invocation recorded but never queued",
                       sum(map(len, by_scope.values())), extra={"scopes": sorted(by_scope)})  # fmt: skip
    return list(by_scope.values())


def _send_owed(
    notifier: Notifier,
    store: FindingStore,
    now: datetime,
    deadline: Deadline,
    *,
    owned: set[str],
    lease: datetime,
    outcome: ChannelReport,
) -> None:
    held: set[str] = set()  # findings with an earlier message still queued: later ones wait behind it
    for delivery in store.pending(notifier.channel):
        mine = delivery.id in owned
        sent = [Sent(c.finding.id, c.kind, retry=not mine) for c in delivery.changes]
        if not (mine or delivery.next_attempt_at <= now):  # not due yet (or claimed by a live retrier)
            held |= delivery.finding_ids
            continue
        if outcome.failing or delivery.finding_ids & held or not deadline.allows():  # left to the outbox
            held |= delivery.finding_ids
            outcome.queued += sent
            if mine:
                store.claim(delivery, now)  # released: due at once for the next retrier, no attempt counted
            continue
        if not mine and not store.claim(delivery, lease):  # another retrier took it since it was read
            held |= delivery.finding_ids
            continue
        error = _attempt(notifier, delivery, deadline)
        if error is None:
            store.delivered(delivery.id)
            outcome.delivered += sent
            outcome.messages += 1
            continue
        held |= delivery.finding_ids
        outcome.failing = True
        outcome.queued += sent
        if error.permanent:
            store.failed(delivery.id, str(error), now, permanent=True)
            outcome.parked += 1
        else:
            wait = max(backoff(delivery.attempts + 1), timedelta(seconds=error.retry_after or 0))
            store.failed(delivery.id, str(error), now + wait)


def _attempt(notifier: Notifier, delivery: Delivery, deadline: Deadline) -> DeliveryError | None:
    """Send once; on failure log it with its findings and return the error (``None`` when it went out)."""
    fields = {
        "channel": notifier.channel,
        "delivery_id": delivery.id,
        "finding_ids": sorted(delivery.finding_ids),
        "rule_ids": sorted({c.finding.rule_id for c in delivery.changes}),
        "role_arns": sorted({c.finding.role_arn or "" for c in delivery.changes} - {""}),
        "changes": [c.kind for c in delivery.changes],
        "attempts": delivery.attempts,
    }
    what = (", ".join(sorted(delivery.finding_ids)), notifier.channel)
    try:
        notifier.send(delivery.changes, deadline)
    except DeliveryError as exc:
        if exc.permanent:
            logger.error("message about %s refused by %s for good, parked: %s", *what, exc, extra=fields)
        else:
            logger.warning("message about %s not delivered to %s, queued for retry: %s", *what, exc, extra=fields)
        return exc
    except Exception as exc:  # a bug or an unexpected client error: the message is still owed, so queue it too
        logger.exception("message about %s not delivered to %s (unexpected error), queued", *what, extra=fields)
        return DeliveryError(f"{type(exc).__name__}: {exc}")
    return None
