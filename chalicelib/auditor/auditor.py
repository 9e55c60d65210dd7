"""The auditor's use cases: an IAM change, a role assumption, a change to the auditor itself, a re-scan.

Each one loads what its decision needs through the inventory port, runs the pure rules, reconciles the
findings with the stored state (new, severity changed, resolved; repeats stay silent) and hands the changes to
the notifiers. Nothing here creates an AWS client: `chalicelib.wiring` builds the ports.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..config import Config
from ..events.changes import Assumption, AuditorChange, IdentityChange, TrustChange, classify, ignored_reason
from ..events.models import CloudTrailEvent
from ..gc_pause import collector_paused, collector_running
from ..iam.assemble import request_for
from ..iam.errors import InvalidRequestError, PolicyParseError
from ..iam.evaluate import can_assume
from ..iam.graph import build_graph
from ..iam.policy import PolicyDocument, parse_policy
from ..inventory.port import LoadResult
from ..notify.base import DeliveryReport, Notifier, deliver
from ..notify.deadline import Deadline
from ..rules import new_access, runtime
from ..rules.context import AuditContext, RoleTarget
from ..rules.engine import ErrorRecord, audit_inventory, audit_role, finalize
from ..rules.findings import Finding
from ..rules.incremental import GRAPH_RULES, ChangeAudit
from ..rules.registry import RULES
from ..rules.registry_types import RoleRule
from ..rules.remediation import document_dict
from ..rules.trustmodel import AccountClass
from ..state.model import Change, scope_of
from ..state.store import FindingStore
from ..state.tracker import reconcile
from .account_graph import AccountGraphs
from .memory import DeniedLog, TrustHistory

ROLE_RULE_IDS = frozenset(r.meta.id for r in RULES if isinstance(r, RoleRule))
TRUST_CHANGE_RULE_IDS = ROLE_RULE_IDS | {new_access.META.id}
SCAN_RULE_IDS = frozenset(r.meta.id for r in RULES)
# A change audit's scopes are read one query each up to this many; beyond, the account's index in one go
# (a few pages) is cheaper than hundreds of queries. ``covers`` decides what may be resolved either way.
SCOPE_READS = 25
GRAPH_RULE_LIST = [r for r in RULES if r.meta.id in GRAPH_RULES]


class AccountLoader(Protocol):
    def __call__(self, accounts: Sequence[str] | None, organization: bool) -> LoadResult: ...


@dataclass
class Outcome:
    """What one invocation did: a summary for the handler's return value and the logs."""

    action: str
    findings: int = 0
    changes: list[Change] = field(default_factory=list)
    delivery: DeliveryReport | None = None
    errors: list[str] = field(default_factory=list)
    reason: str | None = None  # why an event was ignored

    def summary(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for change in self.changes:
            counts[change.kind] = counts.get(change.kind, 0) + 1
        summary = {"action": self.action, "findings": self.findings, "changes": counts, "errors": self.errors,
                   "delivery": self.delivery.as_dict() if self.delivery else {}}  # fmt: skip
        return summary | ({"reason": self.reason} if self.reason else {})


@dataclass
class Auditor:
    load: AccountLoader
    store: FindingStore
    history: TrustHistory
    denied: DeniedLog
    notifiers: Sequence[Notifier]
    config: Config = field(default_factory=Config)
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    # Role assumptions are frequent: checking one against the trust model may use a recently loaded inventory.
    # Changes never do, they always read fresh.
    load_recent: AccountLoader | None = None
    # Judge a trust change by the role as read now, not by the event's text, when they disagree: a later change
    # (whose event may not have arrived yet) is what is live. Off for replays over older snapshots.
    prefer_live_trust: bool = False
    # When this invocation's notifications must be done (the Lambda's remaining time): see `within`.
    deadline: Deadline = field(default_factory=Deadline.unbounded)
    # Each account's compiled graph between events, so that a change costs in proportion to it. Without it,
    # an identity change re-audits the account and a trust change re-checks the role's own rules only.
    graphs: AccountGraphs | None = None

    def within(self, deadline: Deadline) -> Auditor:
        """This auditor for one invocation whose sends must end by ``deadline``; the rest waits in the outbox."""
        return dataclasses.replace(self, deadline=deadline)

    def handle(self, event: CloudTrailEvent) -> Outcome:
        with collector_paused():
            return self._handle(event)

    def _handle(self, event: CloudTrailEvent) -> Outcome:
        change = classify(event)
        if isinstance(change, TrustChange):
            return self.trust_changed(change)
        if isinstance(change, IdentityChange):
            return self.identity_changed(change)
        if isinstance(change, Assumption):
            return self.role_assumed(change)
        if isinstance(change, AuditorChange):
            return self.auditor_changed(change)
        return Outcome(action="ignored", reason=ignored_reason(event) or "not an event Trustwatch acts on")

    # --- IAM changes -------------------------------------------------------------------------------------

    def identity_changed(self, change: IdentityChange) -> Outcome:
        action, context = f"identity change {change.event_name}", _actor_context(change)
        if self.graphs is None:
            return self.rescan_accounts([change.account_id], action=action, context=context)
        loaded = self.load([change.account_id], False)
        update = self._graph_update(loaded, role_rules=True)
        if update is None:
            return self.rescan_accounts(None, action=f"{action} (whole account)", context=context, loaded=loaded)
        outcome = Outcome(action=f"{action} (incremental)", errors=[e.message for e in loaded.errors])
        return self._settle(outcome, [], (), (), context, update=(change.account_id, update))

    def _graph_update(self, loaded: LoadResult, *, role_rules: bool) -> ChangeAudit | None:
        assert self.graphs is not None
        # Account-level findings only (the broad policies among them): the rest is read once the change says
        # which roles it can alter, so an event reads in proportion to it, not the account's every finding.
        scopes = [f"account:{account}" for account in loaded.inventory.accounts]
        previous = [r.finding for r in self.store.open_in(scopes=scopes)]
        return self.graphs.update(loaded, self.config, previous, now=self.clock(), role_rules=role_rules)

    def _graph_rules(self, loaded: LoadResult, account: str) -> tuple[str, ChangeAudit] | None:
        """After a trust change: the chains through the role and what broad policies reach, brought up to date
        (or, with no stored graph, computed for the whole account and stored)."""
        if self.graphs is None:
            return None
        update = self._graph_update(loaded, role_rules=False)
        if update is None:
            graph = build_graph(loaded.inventory, now=self.clock())
            result = audit_inventory(loaded.inventory, self.config, rules=GRAPH_RULE_LIST, compiled=graph)
            self.graphs.save(loaded, graph, self.config)
            update = ChangeAudit(result.findings, lambda f: f.rule_id in GRAPH_RULES, 0)
        return account, update

    def trust_changed(self, change: TrustChange) -> Outcome:
        loaded = self.load([change.account_id], False)
        role = loaded.inventory.role(change.role_arn) or loaded.inventory.role_by_name(
            change.account_id, change.role_name
        )
        role_arn = role.arn if role else change.role_arn
        applied = self.history.changed_at(role_arn)
        if applied is not None and change.event_time < applied:  # CloudTrail delivers out of order
            why = f"{change.event_name} of {change.event_time:%Y-%m-%dT%H:%M:%SZ} is older than the change of "
            return Outcome(action="ignored", reason=why + f"{applied:%Y-%m-%dT%H:%M:%SZ} already applied to {role_arn}")
        outcome = Outcome(action=f"{change.kind} trust of {role_arn}", errors=[e.message for e in loaded.errors])
        graph_rules = self._graph_rules(loaded, change.account_id)
        if change.kind == "deleted" and not (self.prefer_live_trust and role is not None):
            self.history.forget(role_arn, change.event_time)
            context = _actor_context(change)
            return self._settle(outcome, [], {role_arn}, TRUST_CHANGE_RULE_IDS, context, update=graph_rules)
        document, error, text = self._new_trust(change, role.trust_policy if role else None)
        findings = self._trust_findings(
            role_arn, document=document, error=error, role=role, loaded=loaded, change=change
        )
        if document is not None:
            self.history.put(role_arn, text or json.dumps(document_dict(document)), self.clock(), change.event_time)
        context = _actor_context(change)
        return self._settle(outcome, findings, {role_arn}, TRUST_CHANGE_RULE_IDS, context, update=graph_rules)

    def _new_trust(
        self, change: TrustChange, live: PolicyDocument | None
    ) -> tuple[PolicyDocument | None, str | None, str | None]:
        """The policy to judge (and its text, when the event's): the event's, unless the freshly read role says
        otherwise and ``prefer_live_trust`` (a later change the auditor has not seen yet: judge what is live)."""
        if change.new_trust is None or (self.prefer_live_trust and live is not None and change.kind != "created"):
            return live, None, None  # the event lacks the document, or the live role is the truth
        try:
            parsed = parse_policy(change.new_trust, source=f"event {change.event_id}")
        except PolicyParseError as exc:
            return (live, None, None) if self.prefer_live_trust and live is not None else (None, str(exc), None)
        if self.prefer_live_trust and live is not None and document_dict(live) != document_dict(parsed):
            return live, None, None
        return parsed, None, change.new_trust

    def _trust_findings(
        self,
        role_arn: str,
        *,
        document: PolicyDocument | None,
        error: str | None,
        role: Any,
        loaded: LoadResult,
        change: TrustChange,
    ) -> list[Finding]:
        target = RoleTarget(role_arn, document, role, error)
        verdicts = list(audit_role(target, loaded.inventory, self.config).findings)
        previous_text = self.history.get(role_arn)
        previous = _parse_quietly(previous_text) if previous_text else None
        described = f"{change.event_name} by {change.actor.describe()}"
        unknown_before = previous is None and change.kind != "created"
        baseline = (
            "Trustwatch had no earlier version of this policy, so every grant is listed" if unknown_before else None
        )
        ctx = AuditContext(self.config, loaded.inventory)
        added = new_access.check(target, ctx, previous=previous, verdicts=verdicts, change=described, baseline=baseline)
        return verdicts + list(finalize([added], self.config, loaded.inventory).findings if added else [])

    # --- role assumptions ---------------------------------------------------------------------------------

    def role_assumed(self, event: Assumption) -> Outcome:
        outcome = Outcome(action=f"{event.api} of {event.role_arn} by {event.caller}")
        ctx = AuditContext(self.config, None)
        findings: list[Finding] = []
        if not event.succeeded:
            findings += self._denied(event, ctx)
        else:
            findings += self._unexpected(event, ctx)
        final = list(finalize(findings, self.config).findings)
        return self._settle(outcome, final, None, None, _assumption_context(event))

    def _denied(self, event: Assumption, ctx: AuditContext) -> list[Finding]:
        meta = runtime.DENIED_ASSUMPTION_BURST
        threshold = int(ctx.option(meta, "threshold"))
        window = int(ctx.option(meta, "window_seconds"))
        roles = self.denied.record(event.caller, event.role_arn, self.clock(), dt.timedelta(seconds=window))
        if len(roles) < threshold:
            return []
        account = event.caller_account or event.role_arn.split(":")[4]
        return [
            runtime.denied_burst(
                ctx, caller=event.caller, account_id=account, roles=roles, count=len(roles), window=window
            )
        ]

    def _unexpected(self, event: Assumption, ctx: AuditContext) -> list[Finding]:
        role_account = event.role_arn.split(":")[4]
        caller_account = event.caller_account
        if caller_account and ctx.trust_model.classify(caller_account, role_account) is AccountClass.UNTRUSTED:
            why = f"its account {caller_account} is not trusted (not yours, not internal, not a known third party)"
            return [self._unexpected_finding(ctx, event, why, "untrusted-account")]
        if event.caller_type not in ("IAMUser", "AssumedRole") or not caller_account or not event.caller_arn:
            return []
        accounts = sorted({role_account, caller_account})
        loaded = (self.load_recent or self.load)(accounts, False)
        try:
            decision = can_assume(request_for(loaded.inventory, event.caller_arn, event.role_arn).request)
        except InvalidRequestError:
            return []  # the role or caller is not in the inventory: nothing to compare with
        if decision.allowed:
            return []
        why = (
            "the trust model says this call is denied ("
            + "; ".join(decision.reasons[-2:])
            + "): the inventory is stale or a grant is invisible to the auditor"
        )
        return [self._unexpected_finding(ctx, event, why, "denied-by-model")]

    def _unexpected_finding(self, ctx: AuditContext, event: Assumption, why: str, key: str) -> Finding:
        return runtime.unexpected_assumption(
            ctx, role_arn=event.role_arn, caller=event.caller, caller_account=event.caller_account, why=why, key=key
        )

    # --- the auditor itself ---------------------------------------------------------------------------

    def auditor_changed(self, event: AuditorChange) -> Outcome:
        ctx = AuditContext(self.config, None)
        account = event.actor.account_id or "unknown"
        finding = runtime.tampering(
            ctx,
            account_id=account,
            resource=event.resource,
            action=event.operation,
            actor=event.actor.describe(),
            actor_arn=event.actor.arn,
        )
        outcome = Outcome(action=f"auditor change {event.operation} on {event.resource}")
        final = list(finalize([finding], self.config).findings)
        return self._settle(outcome, final, None, None, _actor_context(event))

    # --- re-scans -------------------------------------------------------------------------------------

    def rescan_accounts(
        self,
        accounts: Sequence[str] | None,
        *,
        organization: bool = False,
        action: str = "rescan",
        context: dict[str, str] | None = None,
        loaded: LoadResult | None = None,
    ) -> Outcome:
        with collector_paused():
            return self._rescan(accounts, organization, action, context, loaded)

    def _rescan(
        self,
        accounts: Sequence[str] | None,
        organization: bool,
        action: str,
        context: dict[str, str] | None,
        loaded: LoadResult | None,
    ) -> Outcome:
        loaded = loaded or self.load(accounts, organization)
        records = [ErrorRecord(source=e.source, message=e.message, account_id=e.account_id) for e in loaded.errors]
        graph = build_graph(loaded.inventory, now=self.clock())
        result = audit_inventory(loaded.inventory, self.config, errors=records, compiled=graph)
        if self.graphs is not None:
            self.graphs.save(loaded, graph, self.config)
        policies = {
            role.arn: json.dumps(document_dict(role.trust_policy))
            for role in loaded.inventory.roles()
            if role.trust_policy is not None
        }
        self.history.put_many(policies, self.clock())
        scanned = sorted(loaded.inventory.accounts)
        outcome = Outcome(action=action, errors=[e.message for e in loaded.errors])
        why = context or {"actor": f"Trustwatch {action}"}
        findings = list(result.findings)
        return self._settle(outcome, findings, (), SCAN_RULE_IDS, why, accounts=scanned, per_role=True)

    def rescan_role(self, role_arn: str) -> Outcome:
        account = role_arn.split(":")[4]
        loaded = self.load([account], False)
        role = loaded.inventory.role(role_arn)
        if role is None:
            return Outcome(action=f"rescan {role_arn}", errors=[f"role {role_arn} not found in account {account}"])
        target = RoleTarget(role.arn, role.trust_policy, role, role.trust_policy_error)
        findings = list(audit_role(target, loaded.inventory, self.config).findings)
        why = {"actor": "Trustwatch on-demand re-scan"}
        return self._settle(Outcome(action=f"rescan {role_arn}"), findings, {role.arn}, ROLE_RULE_IDS, why)

    # --- state and notification -----------------------------------------------------------------------

    def _settle(
        self,
        outcome: Outcome,
        findings: list[Finding],
        scopes: Collection[str] | None,
        rules: Collection[str] | None,
        context: dict[str, str],
        *,
        accounts: Collection[str] = (),
        per_role: bool = False,
        update: tuple[str, ChangeAudit] | None = None,
    ) -> Outcome:
        """Record the findings; announce what changed: one message for an event, one per role for a re-scan.
        ``update``: an account's findings recomputed after a change, deciding the stored ones it covers."""
        with collector_running():  # AWS calls, each leaving a little cyclic garbage: collected as it goes
            now = self.clock()
            changes = reconcile(
                self.store, findings, scopes or (), now, accounts=accounts, context=context, rules=rules
            )
            if update is not None:
                account, audit = update
                covered = audit.covers
                few = audit.scopes is not None and len(audit.scopes) <= SCOPE_READS
                where, whole = (audit.scopes or frozenset[str](), []) if few else (frozenset[str](), [account])
                changes += reconcile(self.store, audit.findings, where, now, accounts=whole, context=context,
                                     covered=lambda record: covered(record.finding))  # fmt: skip
                findings = [*findings, *audit.findings]
            outcome.findings = len(findings)
            outcome.changes = changes
            outcome.delivery = deliver(_messages(changes, per_role), self.notifiers, self.store, now, self.deadline)
            return outcome

    def flush(self) -> Outcome:
        """Retry what earlier deliveries could not send (the outbox), with nothing new to announce."""
        outcome = Outcome(action="flush outbox")
        outcome.delivery = deliver([], self.notifiers, self.store, self.clock(), self.deadline)
        return outcome


def _messages(changes: list[Change], per_role: bool) -> list[list[Change]]:
    if not per_role:
        return [changes] if changes else []
    by_scope: dict[str, list[Change]] = {}
    for change in changes:
        by_scope.setdefault(scope_of(change.finding), []).append(change)
    return list(by_scope.values())


def _actor_context(change: TrustChange | IdentityChange | AuditorChange) -> dict[str, str]:
    actor = change.actor
    context = {"actor": actor.describe(), "event_name": change.event_name, "event_time": str(change.event_time)}
    if actor.deployment_tool:
        context["deployment"] = actor.deployment_tool
    return context


def _assumption_context(event: Assumption) -> dict[str, str]:
    context = {"actor": event.caller, "event_name": event.api, "event_time": str(event.event_time)}
    if event.source_ip:
        context["source_ip"] = event.source_ip
    return context


def _parse_quietly(text: str) -> PolicyDocument | None:
    try:
        return parse_policy(text)
    except PolicyParseError:
        return None
