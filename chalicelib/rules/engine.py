"""Run the rules: over every role of an inventory (a scan) or over one trust document (check-trust).

Whatever a scan could not read (``ErrorRecord``) is also reported as an ``audit-error`` finding. After the rules,
the engine applies what is not any one rule's business: disabled rules, configured severity
overrides, the privileged-role rise, suppressions (an expired one stops suppressing and says so), and order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from ..config import Config
from ..iam.entities import Inventory
from ..iam.graph import AssumeGraph
from ..iam.policy import PolicyDocument
from . import audit_error
from .context import AuditContext, RoleTarget
from .findings import Finding
from .privilege import privilege_reason
from .registry import RULES
from .registry_types import InventoryRule, RoleRule, Rule
from .suppress import UnusedSuppression, suppress, unused

_R = TypeVar("_R", RoleRule, InventoryRule)


class ErrorRecord(BaseModel):
    """Something that could not be read; listed beside the findings, never instead of them."""

    model_config = ConfigDict(frozen=True)
    source: str
    message: str
    account_id: str | None = Field(default=None, exclude=True)  # when the record is about one account


class AuditResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    findings: tuple[Finding, ...] = ()
    errors: tuple[ErrorRecord, ...] = ()
    roles: int = 0
    unused_suppressions: tuple[UnusedSuppression, ...] = ()  # scans only: one role or event sees too little
    generated_at: str = Field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))

    @property
    def active(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.active)


def audit_inventory(
    inventory: Inventory,
    config: Config | None = None,
    *,
    errors: Sequence[ErrorRecord] = (),
    rules: Sequence[Rule] = RULES,
    today: dt.date | None = None,
    exhaustive: bool = False,
    compiled: AssumeGraph | None = None,
) -> AuditResult:
    """Every role of the inventory. ``exhaustive`` builds the reachability graph by evaluating every principal
    against every role (the reference the compiled graph is tested against), not a decision class at a time."""
    ctx = AuditContext(config or Config(), inventory, exhaustive=exhaustive, compiled=compiled)
    targets = [RoleTarget(r.arn, r.trust_policy, r, r.trust_policy_error) for r in inventory.roles()]
    findings = _role_findings(targets, ctx, rules)
    findings += [f for rule in _enabled(rules, ctx, InventoryRule) for f in rule.check(ctx)]
    records = [
        *errors,
        *(
            ErrorRecord(source=a.account_id, message=m, account_id=a.account_id)
            for a in inventory.accounts.values()
            for m in a.errors
        ),
    ]
    findings += _error_findings(records, ctx, rules)
    result = _finish(findings, ctx, records, len(targets), today)
    return result.model_copy(update={"unused_suppressions": unused(ctx.config.suppressions, result.findings)})


def audit_trust_document(
    document: PolicyDocument,
    role_arn: str,
    config: Config | None = None,
    *,
    rules: Sequence[Rule] = RULES,
    today: dt.date | None = None,
) -> AuditResult:
    """One trust policy, offline: only the rules that need nothing but the document and the configuration."""
    ctx = AuditContext(config or Config(), None)
    return _finish(_role_findings([RoleTarget(role_arn, document)], ctx, rules), ctx, [], 1, today)


def audit_role(
    target: RoleTarget,
    inventory: Inventory | None,
    config: Config | None = None,
    *,
    rules: Sequence[Rule] = RULES,
    today: dt.date | None = None,
) -> AuditResult:
    """One role's trust-side rules, e.g. after an event changed its trust policy (``target.trust`` may be newer
    than the inventory's copy). With the inventory, rules that need the callers' policies run too."""
    ctx = AuditContext(config or Config(), inventory)
    return _finish(_role_findings([target], ctx, rules), ctx, [], 1, today)


def finalize(
    findings: Sequence[Finding],
    config: Config | None = None,
    inventory: Inventory | None = None,
    *,
    today: dt.date | None = None,
) -> AuditResult:
    """Overrides, privileged-role rise and suppressions for findings made outside a scan (event rules)."""
    ctx = AuditContext(config or Config(), inventory)
    return _finish(list(findings), ctx, [], 0, today)


def _enabled(rules: Iterable[Rule], ctx: AuditContext, kind: type[_R]) -> list[_R]:
    return [r for r in rules if isinstance(r, kind) and ctx.config.rule(r.meta.id).enabled]


def _error_findings(records: Sequence[ErrorRecord], ctx: AuditContext, rules: Sequence[Rule]) -> list[Finding]:
    """What could not be read is an audit-error finding too: beside the ``errors`` list, never instead of it."""
    if not any(rule.meta.id == audit_error.META.id for rule in _enabled(rules, ctx, RoleRule)):
        return []
    return [audit_error.error_finding(record, ctx) for record in records]


def _role_findings(targets: Iterable[RoleTarget], ctx: AuditContext, rules: Sequence[Rule]) -> list[Finding]:
    enabled = _enabled(rules, ctx, RoleRule)  # once per audit, not once per role
    return [f for target in targets for rule in enabled for f in rule.check(target, ctx)]


def _finish(
    findings: list[Finding], ctx: AuditContext, errors: list[ErrorRecord], roles: int, today: dt.date | None
) -> AuditResult:
    day = today or dt.date.today()
    adjusted = [suppress(_raise_privileged(_override(f, ctx), ctx), ctx.config.suppressions, day) for f in findings]
    unique = {f.id: f for f in adjusted}  # one finding per fingerprint, whichever rule path produced it
    ordered = sorted(unique.values(), key=lambda f: (-f.severity.rank, f.account_id, f.role_arn or "", f.rule_id, f.id))
    return AuditResult(findings=tuple(ordered), errors=tuple(errors), roles=roles)


def _override(finding: Finding, ctx: AuditContext) -> Finding:
    severity = ctx.config.rule(finding.rule_id).severity
    return finding.model_copy(update={"severity": severity}) if severity else finding


def _raise_privileged(finding: Finding, ctx: AuditContext) -> Finding:
    inventory = ctx.inventory
    role = inventory.role(finding.role_arn) if inventory and finding.role_arn else None
    reason = privilege_reason(role, inventory) if role else None
    if reason is None:
        return finding
    return finding.model_copy(
        update={
            "severity": finding.severity.raised(),
            "explanation": f"{finding.explanation} The role is privileged ({reason}), so the severity rises one level.",
            "evidence": {**finding.evidence, "privileged": reason},
        }
    )
