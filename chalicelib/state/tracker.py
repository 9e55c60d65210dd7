"""Finding state transitions: what a fresh set of findings changes, and which of those changes to announce.

``reconcile`` is given every current finding for some scopes (role ARNs, ``account:<id>``) and/or whole
accounts, and compares them with the stored records:

=========================================  ===================================  ======================
current finding vs. stored record          stored afterwards                    change
=========================================  ===================================  ======================
unknown, or resolved before                open, first_seen = now               ``new``
open, other severity                       open, new severity, last_seen = now  ``severity-changed``
open, same severity                        open, last_seen = now                none (a repeat)
open record in scope, not found now        resolved, resolved_at = now          ``resolved``
=========================================  ===================================  ======================

Suppressed findings are stored like any other but announce nothing; one whose suppression lapses is
announced as ``new`` (nobody was told about it before), and a suppressed record that goes away resolves
silently. What a record keeps of a finding is `bounded` (DynamoDB's 400 KB item limit): a finding over it
is stored and announced cut, never dropped. When a conditional write loses a race with another Lambda, the
finding is re-read and decided again, so the two together announce it once. A record that announces a change
is written together with the change, owed (`FindingStore.put`): the announcement is then the outbox's to
deliver, even if the invocation dies before `deliver` queues its messages.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from functools import partial

from ..rules.findings import Finding
from .model import Change, FindingRecord, StaleRecordError, bounded
from .store import FindingStore

MAX_RACES = 5  # re-reads after a lost conditional write before giving up (each loss means someone else progressed)


def reconcile(
    store: FindingStore,
    findings: Sequence[Finding],
    scopes: Collection[str],
    now: datetime,
    *,
    accounts: Collection[str] = (),
    context: Mapping[str, str] | None = None,
    rules: Collection[str] | None = None,
    covered: Callable[[FindingRecord], bool] | None = None,
) -> list[Change]:
    """Record ``findings`` and return the changes worth announcing, each carrying ``context``.

    ``findings`` must be complete for every scope in ``scopes`` and every account in ``accounts`` — for the
    rule ids in ``rules`` when given (a re-check of one role runs only the role rules, so it must not resolve
    what the whole-inventory rules found): open records there that are not among them are resolved. Records
    elsewhere are left alone. ``covered``: only the open records it accepts may be resolved (an update after
    a change recomputes the findings the change can alter, and says which those are).
    """
    current: dict[str, Finding] = {}
    for finding in findings:
        current.setdefault(finding.id, bounded(finding))  # one per id, the first listed; within DynamoDB's limit
    about = dict(context or {})
    decisions = [partial(_observe, store, f, now, about) for f in current.values()]
    in_scope = store.open_in(scopes=scopes, accounts=accounts) if scopes or accounts else []
    gone = [
        r.id
        for r in in_scope
        if r.id not in current and (rules is None or r.rule_id in rules) and (covered is None or covered(r))
    ]
    decisions += [partial(_resolve, store, finding_id, now, about) for finding_id in gone]
    return [c for decide in decisions if (c := _retrying(decide)) is not None]


def _retrying(decide: Callable[[], Change | None]) -> Change | None:
    for _ in range(MAX_RACES):
        try:
            return decide()
        except StaleRecordError:
            continue
    return decide()  # one last time, letting a persistent conflict surface as StaleRecordError


def _observe(store: FindingStore, finding: Finding, now: datetime, context: dict[str, str]) -> Change | None:
    record = store.get(finding.id)
    change: Change | None
    if record is None or not record.is_open:
        written = FindingRecord.opened(finding, now, previous=record)
        change = Change(kind="new", finding=finding, record=written) if finding.active else None
    else:
        written = record.seen(finding, now)
        change = _news(record, finding, written)
    return _announced(store, written, change, context)


def _news(record: FindingRecord, finding: Finding, updated: FindingRecord) -> Change | None:
    """What an open finding seen again is worth announcing."""
    if not finding.active:
        return None
    if not record.finding.active:  # its suppression lapsed: announced for the first time
        return Change(kind="new", finding=finding, record=updated)
    if record.severity != finding.severity:
        return Change(kind="severity-changed", finding=finding, previous_severity=record.severity, record=updated)
    return None


def _resolve(store: FindingStore, finding_id: str, now: datetime, context: dict[str, str]) -> Change | None:
    record = store.get(finding_id)
    if record is None or not record.is_open:
        return None  # resolved meanwhile by someone else, who announced it
    resolved = record.resolved(now)
    change = Change(kind="resolved", finding=record.finding, record=resolved) if record.finding.active else None
    return _announced(store, resolved, change, context)


def _announced(
    store: FindingStore, record: FindingRecord, change: Change | None, context: dict[str, str]
) -> Change | None:
    """Write ``record``; a change it announces is owed in the same write (`deliver` queues it, or adopts it
    from a writer that died first), so no kill between recording and queueing can lose the announcement."""
    if change is not None and context:
        change = change.with_context(context)
    store.put(record, owed=change)
    return change
