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
finding is re-read and decided again, so the two together announce it once.
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
) -> list[Change]:
    """Record ``findings`` and return the changes worth announcing, each carrying ``context``.

    ``findings`` must be complete for every scope in ``scopes`` and every account in ``accounts`` — for the
    rule ids in ``rules`` when given (a re-check of one role runs only the role rules, so it must not resolve
    what the whole-inventory rules found): open records there that are not among them are resolved. Records
    elsewhere are left alone.
    """
    current: dict[str, Finding] = {}
    for finding in findings:
        current.setdefault(finding.id, bounded(finding))  # one per id, the first listed; within DynamoDB's limit
    decisions = [partial(_observe, store, f, now) for f in current.values()]
    in_scope = store.open_in(scopes=scopes, accounts=accounts) if scopes or accounts else []
    gone = [r.id for r in in_scope if r.id not in current and (rules is None or r.rule_id in rules)]
    decisions += [partial(_resolve, store, finding_id, now) for finding_id in gone]
    changes = [c for decide in decisions if (c := _retrying(decide)) is not None]
    return [c.with_context(dict(context)) for c in changes] if context else changes


def _retrying(decide: Callable[[], Change | None]) -> Change | None:
    for _ in range(MAX_RACES):
        try:
            return decide()
        except StaleRecordError:
            continue
    return decide()  # one last time, letting a persistent conflict surface as StaleRecordError


def _observe(store: FindingStore, finding: Finding, now: datetime) -> Change | None:
    record = store.get(finding.id)
    if record is None or not record.is_open:
        opened = FindingRecord.opened(finding, now, previous=record)
        store.put(opened)
        return Change(kind="new", finding=finding, record=opened) if finding.active else None
    updated = record.seen(finding, now)
    store.put(updated)
    if not finding.active:
        return None
    if not record.finding.active:  # its suppression lapsed: announced for the first time
        return Change(kind="new", finding=finding, record=updated)
    if record.severity != finding.severity:
        return Change(kind="severity-changed", finding=finding, previous_severity=record.severity, record=updated)
    return None


def _resolve(store: FindingStore, finding_id: str, now: datetime) -> Change | None:
    record = store.get(finding_id)
    if record is None or not record.is_open:
        return None  # resolved meanwhile by someone else, who announced it
    resolved = record.resolved(now)
    store.put(resolved)
    return Change(kind="resolved", finding=record.finding, record=resolved) if record.finding.active else None
