"""The findings a change can alter, after a stored graph was brought up to date (`iam.graph_patch`).

A full audit of the account would give the same findings; this computes only those the change can affect and
says which stored findings it decides (``covers``): the rest stand as they are.

- ``transitive-external-access``: an entry's finding depends on the roles its chains reach, their edges and
  privilege, and which roles outsiders enter directly. It can change only where the entry role is, or
  reaches, a role that changed (either side), gained or lost the edge of a changed principal from outside its
  account's trust boundary (an entry may have appeared or gone), or was a source of a changed role's edges
  before or after; a changed principal inside the boundary alters only the chains through itself. Those
  entries are recomputed; any other entry's chains contain nothing that changed.
- ``broad-assume-permission``: a policy use whose holders (or a group's members) changed, or gained or lost
  a changed role (its finding lists roles, not what each hop requires); a stored finding whose holders
  changed, or that is held by a group of an account where a user changed (memberships leave no other
  trace), is decided again.
- Role rules: roles that changed, roles whose own policies changed (their privilege raises severities), roles
  whose trust names a changed principal or mentions a removed one.
- ``audit-error``: what could not be read now, for the accounts loaded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..config import Config
from ..iam.arn import try_parse
from ..iam.entities import Group, Inventory
from ..iam.graph_patch import Delta, ForwardIndex, Patched
from . import audit_error, broad_assume_permission, transitive_external_access
from .context import AuditContext, RoleTarget
from .engine import ErrorRecord, _error_findings, _finish, _role_findings
from .findings import Finding
from .registry import RULES
from .registry_types import RoleRule, Rule

GRAPH_RULES = frozenset({transitive_external_access.META.id, broad_assume_permission.META.id})
ROLE_RULES = frozenset(r.meta.id for r in RULES if isinstance(r, RoleRule)) - {audit_error.META.id}


@dataclass(frozen=True, slots=True)
class ChangeAudit:
    findings: tuple[Finding, ...]
    covers: Callable[[Finding], bool]  # a stored finding this audit decides: resolved when not in ``findings``
    roles: int  # roles whose role rules ran
    # Where every stored finding ``covers`` accepts is (role ARNs, ``account:<id>``): only those are read back.
    # None: anywhere in the loaded accounts (a whole-account audit).
    scopes: frozenset[str] | None = None


def config_digest(config: Config) -> str:
    """Findings depend on the configuration too: a stored graph is used only under the same one."""
    return hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:32]


def audit_changes(
    inventory: Inventory,
    config: Config,
    patched: Patched,
    previous: Sequence[Finding],
    *,
    errors: Sequence[ErrorRecord] = (),
    rules: Sequence[Rule] = RULES,
    role_rules: bool = True,
    today: dt.date | None = None,
) -> ChangeAudit:
    """``previous``: the open account-level findings (``account:<id>``) of the loaded accounts, to tell which
    broad-assume-permission findings the change can alter."""
    ctx = AuditContext(config, inventory, compiled=patched.graph)
    delta = patched.delta
    sources = delta.sources(patched.graph)
    changed = delta.principals | sources  # callers whose reach may differ
    enabled = {r.meta.id for r in rules if config.rule(r.meta.id).enabled}
    findings: list[Finding] = []
    entries = _affected_entries(ctx, changed | delta.roles | _entered(ctx, delta))
    if transitive_external_access.META.id in enabled and entries:
        findings += transitive_external_access.check(ctx, only=entries)
    # What a broad policy reaches is a set of roles: only callers that gained or lost one can change it.
    subjects = _affected_uses(inventory, delta, delta.principals | delta.moved(patched.graph), previous)
    if broad_assume_permission.META.id in enabled:
        findings += broad_assume_permission.check(ctx, wanted=lambda use: use.subject in subjects)
    roles = _affected_roles(ctx, delta, patched.forward) if role_rules else set()
    targets = [RoleTarget(r.arn, r.trust_policy, r, r.trust_policy_error) for r in inventory.roles() if r.arn in roles]
    findings += _role_findings(targets, ctx, rules)
    loaded_errors = (ErrorRecord(source=a.account_id, message=m, account_id=a.account_id)
                     for a in inventory.accounts.values() for m in a.errors)  # fmt: skip
    records = [*errors, *loaded_errors]
    findings += _error_findings(records, ctx, rules)
    loaded = frozenset(r.arn for r in inventory.roles())
    gone = delta.roles - loaded

    def covers(finding: Finding) -> bool:
        role = finding.role_arn or ""
        if finding.rule_id == transitive_external_access.META.id:
            return role in entries or role in gone
        if finding.rule_id == broad_assume_permission.META.id:
            return str(finding.evidence.get("policy")) in subjects
        if finding.rule_id == audit_error.META.id and not finding.role_arn:
            return finding.account_id in inventory.accounts  # what could not be read: read again just now
        rule_ids = ROLE_RULES | {audit_error.META.id}  # a role's own audit errors are a role rule's findings
        return role_rules and finding.rule_id in rule_ids and (role in roles or role in gone)

    result = _finish(findings, ctx, list(records), len(targets), today)
    scopes = {f"account:{account}" for account in inventory.accounts} | entries | gone | roles
    return ChangeAudit(result.findings, covers, len(targets), frozenset(scopes))


def _affected_entries(ctx: AuditContext, changed: frozenset[str] | set[str]) -> frozenset[str]:
    assert ctx.inventory is not None
    loaded = {r.arn for r in ctx.inventory.roles()}
    if not any(r in loaded for r in changed):
        return frozenset()  # no chain can pass through what changed: no closure to build
    closure = ctx.closure
    hit = {r for r in changed if r in closure.index}
    bits = closure.bits(hit)
    return frozenset(r for r in closure.roles if r in hit or closure.reach(r) & bits)


def _entered(ctx: AuditContext, delta: Delta) -> set[str]:
    """Roles a changed principal reaches, or reached, from outside their account's trust boundary: they may
    have become, or stopped being, entries. Where it is inside, only chains through the principal change,
    and those are found from the principal itself."""
    model = ctx.trust_model
    found: set[str] = set()
    for principal, targets in delta.targets(ctx.graph).items():
        parsed = try_parse(principal)
        account = parsed.account if parsed is not None else ""
        found |= {t for t in targets if not (account and model.is_internal(account, t.split(":", 5)[4]))}
    return found


def _affected_uses(
    inventory: Inventory, delta: Delta, changed: set[str] | frozenset[str], previous: Sequence[Finding]
) -> set[str]:
    users = {p for p in delta.principals if ":user/" in p}
    accounts = {p.split(":")[4] for p in users}
    groups = {g.arn for a in accounts if a in inventory.accounts for g in inventory.accounts[a].groups.values()}
    subjects: set[str] = set()
    for use in broad_assume_permission.policy_uses(inventory):
        grouped = any(isinstance(h, Group) and h.arn in groups for h in use.holders)
        if grouped or changed.intersection(broad_assume_permission.callers(inventory, use)):
            subjects.add(use.subject)
    for finding in previous:
        if finding.rule_id != broad_assume_permission.META.id:
            continue
        holders = {str(h) for h in finding.evidence.get("attached_to", ())}
        if holders & changed or holders & groups:
            subjects.add(str(finding.evidence.get("policy")))
        if not any(h in changed or inventory.user(h) or inventory.role(h) or h in groups for h in holders):
            subjects.add(str(finding.evidence.get("policy")))  # its holders are gone: decided again (resolved)
    return subjects


def _affected_roles(ctx: AuditContext, delta: Delta, forward: ForwardIndex | None) -> set[str]:
    assert ctx.inventory is not None
    roles = {r.arn for r in ctx.inventory.roles()}
    found = set((delta.roles | delta.principals) & roles)
    if delta.principals:
        forward = forward or ForwardIndex(ctx.graph.finder)
        present = [p for p in delta.principals if ctx.inventory.user(p) or ctx.inventory.role(p)]
        found |= {r.arn for p in present for r in forward.named(p)}
        removed = [p for p in delta.principals if p not in present] + sorted(delta.removed_ids)
        if removed:
            trusts = ((r.arn, r.trust_policy.model_dump_json()) for r in ctx.inventory.roles() if r.trust_policy)
            found |= {arn for arn, text in trusts if _mentions(text, removed)}
    return found


def _mentions(text: str, arns: list[str]) -> bool:
    return any(arn in text or arn.rsplit("/", 1)[-1] in text for arn in arns)
